import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '@cr/core';
import { createAdmin, type Admin } from './admin.ts';
import { applyKafkajsTimerFix } from './kafkajs-timer-fix.ts';
import { topicNamer, type TopicNamer } from './catalogue.ts';
import { runConsumer, type ConsumerOptions, type RunningConsumer } from './consumer.ts';
import { createProducer, type Producer, type ProducerOptions } from './producer.ts';
import { forEachRecord, readAll, readAllRaw, type ReadAllOptions } from './read-all.ts';
import { createRegistryCodec, type RegistryCodec } from './registry.ts';
import type { ConsumedRecord, RawRecord } from './types.ts';

export interface KafkaOptions {
  brokers: readonly string[];
  clientId: string;
  /** Confluent-compatible registry API base URL. */
  registryUrl: string;
  logger: Logger;
  /** Prepended to every topic, subject and group id, e.g. `t-abc123.`. Default: TOPIC_PREFIX or none. */
  topicPrefix?: string;
  /** Directory of `<Name>.avsc` files; default SCHEMA_DIR or the repo's `schemas/`. */
  schemaDir?: string;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** What `createKafka` returns (also known as KafkaRuntime). */
export interface KafkaClient {
  readonly topicPrefix: string;
  readonly namer: TopicNamer;
  readonly admin: Admin;
  readonly registry: RegistryCodec;
  /** A new idempotent producer (acks=all); transactional with `transactionalId`. */
  producer(options?: ProducerOptions): Producer;
  /** Starts a batch consumer; see ConsumerOptions. Resolves once subscribed; `ready` once joined. */
  runConsumer<V = unknown>(options: ConsumerOptions<V>): Promise<RunningConsumer>;
  /** Reads a topic with a throwaway group and returns its decoded records. */
  readAll<V = unknown>(topic: string, options?: ReadAllOptions<ConsumedRecord<V>>): Promise<ConsumedRecord<V>[]>;
  readAllRaw(topic: string, options?: ReadAllOptions<RawRecord>): Promise<RawRecord[]>;
  /** Streams a topic (to its end as of the call) to `onRecord`, keeping nothing; resolves with the count. */
  forEachRecord<V = unknown>(topic: string, onRecord: (record: ConsumedRecord<V>) => void, options?: Omit<ReadAllOptions<never>, 'until'>): Promise<number>;
  /** The groups (and their logical topics) of the consumers running through this client. */
  consumerGroups(): { groupId: string; topics: readonly string[] }[];
  /** Stops every consumer and disconnects every producer and the admin made through this client. */
  disconnect(): Promise<void>;
}

export type KafkaRuntime = KafkaClient;

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Routes the client's own log lines into our pino logger. */
export function kafkaLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () => ({ namespace, level, log: entry }: LogEntry) => {
    const { message, timestamp: _t, logger: _l, ...extra } = entry as { message: string; timestamp?: string; logger?: string; [k: string]: unknown };
    // The client logs every failed request at error level even when it retries it;
    // request-level noise goes to warn, our own code reports what finally fails.
    const pinoLevel = level === logLevel.ERROR && (namespace === 'Connection' || namespace === 'Producer') ? 'warn' : PINO_LEVEL[level] ?? 'warn';
    log[pinoLevel]({ namespace, ...extra }, message);
  };
}

export function createKafka(options: KafkaOptions): KafkaClient {
  applyKafkajsTimerFix();
  const logger = options.logger;
  const namer = topicNamer(options.topicPrefix ?? process.env.TOPIC_PREFIX ?? '');
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 5_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
  });
  const registry = createRegistryCodec({
    url: options.registryUrl,
    logger,
    topicPrefix: namer.prefix,
    clientId: options.clientId,
    ...(options.schemaDir ? { schemaDir: options.schemaDir } : {}),
  });
  const admin = createAdmin(kafka, namer, logger);
  const producers = new Set<Producer>();
  const consumers = new Set<RunningConsumer>();
  const groups = new Map<RunningConsumer, { groupId: string; topics: readonly string[] }>();
  const deps = { kafka, codec: registry, namer, logger };

  const producer = (producerOptions: ProducerOptions = {}): Producer => {
    const p = createProducer(deps, producerOptions);
    producers.add(p);
    return p;
  };

  return {
    topicPrefix: namer.prefix,
    namer,
    admin,
    registry,
    producer,
    async runConsumer(consumerOptions) {
      const running = await runConsumer({ ...deps, createProducer: (o) => createProducer(deps, o) }, consumerOptions);
      consumers.add(running);
      groups.set(running, { groupId: consumerOptions.groupId, topics: [...consumerOptions.topics] });
      return {
        groupId: running.groupId,
        ready: running.ready,
        stop: async () => {
          consumers.delete(running);
          groups.delete(running);
          await running.stop();
        },
      };
    },
    consumerGroups: () => [...groups.values()],
    readAll: (topic, readOptions) => readAll(deps, topic, readOptions),
    readAllRaw: (topic, readOptions) => readAllRaw(deps, topic, readOptions),
    forEachRecord: (topic, onRecord, readOptions) => forEachRecord(deps, topic, onRecord, readOptions),
    async disconnect() {
      await Promise.allSettled([...consumers].map((c) => c.stop()));
      consumers.clear();
      await Promise.allSettled([...producers].map((p) => p.disconnect()));
      producers.clear();
      await admin.disconnect().catch(() => undefined);
    },
  };
}
