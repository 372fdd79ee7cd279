import pg from 'pg';
import { createLogger } from '@cr/core';
import { createKafka, type KafkaClient } from '@cr/kafka';
import { REPO_ROOT } from './processes.ts';

/** A fresh, isolated run: its own topic prefix, registry subjects and Postgres schema. */
export interface TestRun {
  id: string;
  env: NodeJS.ProcessEnv;
  logDir: string;
  kafka: KafkaClient;
  /** Deletes the run's topics, subjects and Postgres schema, and disconnects. */
  cleanup(): Promise<void>;
}

export function newRun(label: string): TestRun {
  const id = `${label}_${Date.now().toString(36)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    REGISTRY_URL: process.env.REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    DATABASE_SCHEMA: id,
    TOPIC_PREFIX: `${id}.`,
    LOG_LEVEL: 'info',
    LAG_INTERVAL_MS: '1000',
  };
  const kafka = createKafka({
    brokers: env.KAFKA_BROKERS!.split(','), registryUrl: env.REGISTRY_URL!, clientId: `${id}-test`,
    logger: createLogger({ name: 'e2e', level: 'warn' }), topicPrefix: env.TOPIC_PREFIX,
  });
  const cleanup = async (): Promise<void> => {
    const topics = await kafka.admin.listTopics().catch(() => [] as string[]);
    await kafka.registry.deleteSubjects(topics).catch(() => undefined);
    await kafka.admin.deleteTopics(topics).catch(() => undefined);
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    await db.query(`drop schema if exists "${id}" cascade`).finally(() => db.end());
    await kafka.disconnect();
  };
  return { id, env, logDir: `${REPO_ROOT}/test-results/${id}`, kafka, cleanup };
}

/** Stops the run's processes (SIGTERM, in parallel), then removes its data unless KEEP_TEST_DATA is set. */
export async function endRun(run: TestRun | undefined, processes: readonly ({ kill(signal?: NodeJS.Signals): Promise<unknown> } | undefined)[]): Promise<void> {
  await Promise.all(processes.map((p) => p?.kill('SIGTERM')));
  if (run && !process.env.KEEP_TEST_DATA) await run.cleanup();
}
