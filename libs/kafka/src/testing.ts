import { randomUUID } from 'node:crypto';
import { createLogger, sleep, type Logger } from '@cr/core';
import { createKafka, type KafkaClient, type KafkaOptions } from './kafka.ts';

/** Helpers for tests against the local stack: fresh prefix per client, quiet logs. */

export const LOCAL_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const LOCAL_REGISTRY_URL = process.env.REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

export function freshPrefix(): string {
  return `t-${randomUUID().slice(0, 8)}.`;
}

export function testLogger(name = 'kafka-test'): Logger {
  return createLogger({ name, level: process.env.TEST_LOG_LEVEL ?? 'error' });
}

export function createTestKafka(overrides: Partial<KafkaOptions> = {}): KafkaClient {
  return createKafka({
    brokers: LOCAL_BROKERS,
    clientId: 'kafka-test',
    registryUrl: LOCAL_REGISTRY_URL,
    logger: testLogger(),
    topicPrefix: freshPrefix(),
    ...overrides,
  });
}

/** Polls `check` until it returns a truthy value or the time is up. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 20_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}
