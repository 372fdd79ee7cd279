import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createLogger, createOpsServer, onShutdown, parseConfig, systemClock, type Clock, type Logger, type OpsServer } from '@cr/core';
import { createKafka, startLagMonitor, type KafkaRuntime } from '@cr/kafka';
import { createDb, type Db } from './db.ts';
import { startHeartbeats, type Loops } from './heartbeats.ts';

/** Settings every service shares, read from the environment. */
export const commonConfigSchema = z.object({
  kafka: z.object({
    brokers: z.string().min(1).transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean)),
    registryUrl: z.url(),
    topicPrefix: z.string().regex(/^[a-zA-Z0-9._-]*$/).default(''),
  }).strict(),
  database: z.object({
    url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
    schema: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'lower-case letters, digits and _').default('connector_runner'),
  }).strict(),
  ops: z.object({
    port: z.coerce.number().int().min(0).max(65535).default(0),
    /** 127.0.0.1 locally; 0.0.0.0 in a pod so kubelet probes and Prometheus reach it. */
    host: z.string().min(1).default('127.0.0.1'),
    /** How often the service measures its consumer groups' lag. */
    lagIntervalMs: z.coerce.number().int().min(500).default(15_000),
    /** How often each loop's heartbeat goes to pipeline.heartbeats. */
    heartbeatIntervalMs: z.coerce.number().int().min(500).default(10_000),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).strict(),
  instanceId: z.string().min(1),
}).strict();

export type CommonConfig = z.infer<typeof commonConfigSchema>;

/** Environment variable names for the common settings (documented in the README). */
export function commonEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  return {
    kafka: { brokers: env.KAFKA_BROKERS ?? '127.0.0.1:9092', registryUrl: env.REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7', topicPrefix: env.TOPIC_PREFIX },
    database: { url: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema: env.DATABASE_SCHEMA },
    ops: { port: env.OPS_PORT, host: env.OPS_HOST, lagIntervalMs: env.LAG_INTERVAL_MS, heartbeatIntervalMs: env.HEARTBEAT_INTERVAL_MS, logLevel: env.LOG_LEVEL },
    instanceId: env.INSTANCE_ID ?? `${process.pid}-${randomUUID().slice(0, 8)}`,
  };
}

export interface ServiceContext<C> {
  name: string;
  common: CommonConfig;
  config: C;
  logger: Logger;
  kafka: KafkaRuntime;
  db: Db;
  ops: OpsServer;
  clock: Clock;
  /** Register the service's own loops (timers, scans) for the heartbeats; consumer groups are loops already. */
  loops: Loops;
}

export interface Running {
  /** Finish the in-flight batch, commit, release resources. */
  stop(): Promise<void>;
}

export interface ServiceDefinition<S extends z.ZodType> {
  name: string;
  configSchema: S;
  /** Reads the service's own section from the environment. */
  env: (env: NodeJS.ProcessEnv) => unknown;
  start: (ctx: ServiceContext<z.infer<S>>) => Promise<Running>;
}

/**
 * The shell every service runs in: validate all config (every problem named by its
 * dotted path) before anything connects, then connect, start, report ready, and
 * stop gracefully on SIGTERM.
 */
export async function runService<S extends z.ZodType>(def: ServiceDefinition<S>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const schema = z.object({ common: commonConfigSchema, service: def.configSchema }).strict();
  let parsed: { common: CommonConfig; service: z.infer<S> };
  try {
    parsed = parseConfig(schema, { common: commonEnv(env), service: def.env(env) }, `${def.name} configuration`) as typeof parsed;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const { common, service } = parsed;
  const logger = createLogger({ name: def.name, level: common.ops.logLevel });
  const ops = await createOpsServer({ port: common.ops.port, host: common.ops.host, serviceName: def.name });
  const kafka = createKafka({ brokers: common.kafka.brokers, clientId: `${def.name}-${common.instanceId}`, registryUrl: common.kafka.registryUrl, logger, topicPrefix: common.kafka.topicPrefix });
  const db = await createDb({ url: common.database.url, schema: common.database.schema });
  const heartbeats = startHeartbeats({
    service: def.name, instanceId: common.instanceId, intervalMs: common.ops.heartbeatIntervalMs, logger,
    producer: kafka.producer({ stage: 'heartbeat' }),
    consumerGroups: () => kafka.consumerGroups(),
  });
  // A consumer that starts is a new loop: beat at once so it shows as starting.
  const serviceKafka: KafkaRuntime = {
    ...kafka,
    async runConsumer(options) {
      const consumer = await kafka.runConsumer(options);
      heartbeats.kick();
      return consumer;
    },
  };
  const ctx: ServiceContext<z.infer<S>> = { name: def.name, common, config: service, logger, kafka: serviceKafka, db, ops, clock: systemClock, loops: heartbeats };
  const running = await def.start(ctx);
  const lag = startLagMonitor({ admin: kafka.admin, groups: () => kafka.consumerGroups(), registry: ops.registry, logger, intervalMs: common.ops.lagIntervalMs });
  ops.setReady(true);
  heartbeats.ready();
  logger.info({ opsPort: ops.port(), instanceId: common.instanceId }, 'service.ready');
  onShutdown(logger, async () => {
    ops.setReady(false);
    lag.stop();
    await heartbeats.stop();
    await running.stop();
    await kafka.disconnect();
    await db.destroy();
    await ops.close();
  });
}
