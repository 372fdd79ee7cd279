import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { PayloadError, TransportError } from '@cr/core';
import { deadLetterTopic, type TopicSpec } from './catalogue.ts';
import { METRICS } from './metrics.ts';
import type { KafkaClient } from './kafka.ts';
import type { ConsumerOptions, RunningConsumer } from './consumer.ts';
import { createTestKafka, eventually } from './testing.ts';

const item = {
  type: 'record', name: 'Item', namespace: 'test.kafka',
  fields: [{ name: 'id', type: 'string' }, { name: 'n', type: 'int' }],
};
const doubled = {
  type: 'record', name: 'Doubled', namespace: 'test.kafka',
  fields: [{ name: 'id', type: 'string' }, { name: 'twice', type: 'int' }],
};
const topic = (name: string, valueSchema: Record<string, unknown> | null, partitions = 3, compacted = false): TopicSpec =>
  ({ name, valueSchema, partitions, compacted });

interface Item { id: string; n: number }

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ labels: Record<string, string | number>; value: number }>;
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((s, v) => s + v.value, 0);
}

const sumOffsets = (offsets: Array<{ offset: string }>): number => offsets.reduce((s, o) => s + Math.max(0, Number(o.offset)), 0);

describe('batch consumer (real Kafka + registry)', () => {
  let kafka: KafkaClient;
  const consumers: RunningConsumer[] = [];

  async function setup(extra: TopicSpec[] = [], stage = 'unification'): Promise<void> {
    kafka = createTestKafka();
    const specs = [topic('in', item), topic('out', doubled), topic(deadLetterTopic(stage), null), ...extra];
    await kafka.admin.ensureTopics(specs);
    await kafka.registry.registerSchemas(specs);
  }

  afterEach(async () => {
    await Promise.allSettled(consumers.splice(0).map((c) => c.stop()));
    if (kafka) {
      const topics = await kafka.admin.listTopics();
      await kafka.admin.deleteTopics(topics).catch(() => undefined);
      await kafka.registry.deleteSubjects(['in', 'out']).catch(() => undefined);
      await kafka.disconnect();
    }
  });

  async function start<V>(options: ConsumerOptions<V>): Promise<RunningConsumer> {
    const c = await kafka.runConsumer<V>(options);
    consumers.push(c);
    await c.ready;
    return c;
  }

  it('ensureTopics is idempotent and makes compacted topics compacted', async () => {
    kafka = createTestKafka();
    const specs = [topic('plain', null, 2), topic('table', null, 1, true)];
    expect(await kafka.admin.ensureTopics(specs)).toEqual(['plain', 'table']);
    expect(await kafka.admin.ensureTopics(specs)).toEqual([]);
    expect(await kafka.admin.describeTopic('table')).toMatchObject({ partitions: 1, config: { 'cleanup.policy': 'compact' } });
    expect((await kafka.admin.describeTopic('plain')).partitions).toBe(2);
    expect((await kafka.admin.listTopics()).sort()).toEqual(['plain', 'table']);
  });

  it('maps every record once to the output topic and commits its offsets', async () => {
    await setup();
    const metrics = new Registry();
    const N = 60;
    const producer = kafka.producer();
    await producer.send('in', Array.from({ length: N }, (_, i) => ({ key: `src/Item/${i}`, value: { id: `i-${i}`, n: i } })));
    await start<Item>({
      groupId: 'mapper', topics: ['in'], stage: 'unification', metricsRegistry: metrics,
      handle: (r) => [{ topic: 'out', key: r.key, value: { id: r.value.id, twice: r.value.n * 2 }, headers: { origin: r.offset } }],
    });
    const out = await kafka.readAll<{ id: string; twice: number }>('out', { until: (rs) => rs.length >= N, timeoutMs: 30_000 });
    expect(out).toHaveLength(N);
    expect(new Set(out.map((r) => r.key)).size).toBe(N);
    expect(out.find((r) => r.key === 'src/Item/7')?.value).toMatchObject({ id: 'i-7', twice: 14 });
    await eventually(async () => sumOffsets(await kafka.admin.committedOffsets('mapper', 'in')) === N);
    expect(await metricValue(metrics, METRICS.consumed, { stage: 'unification', topic: 'in' })).toBe(N);
    expect(await metricValue(metrics, METRICS.produced, { stage: 'unification', topic: 'out' })).toBe(N);
    await consumers.pop()?.stop();

    // Nothing more arrives once everything is committed: a new member of the group sees nothing.
    let seen = 0;
    await start({ groupId: 'mapper', topics: ['in'], stage: 'unification', handle: () => { seen++; return []; } });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(seen).toBe(0);
    expect((await kafka.readAll('out')).length).toBe(N);
    await producer.disconnect();
  });

  it('dead-letters an undecodable record and a poison record with headers, and keeps going', async () => {
    await setup([], 'resolution');
    const metrics = new Registry();
    const producer = kafka.producer();
    const single = 'same-partition';
    await producer.send('in', [{ key: single, value: { id: 'first', n: 1 } }]);
    await producer.sendRaw('in', [{ key: single, value: Buffer.from('{"plain":"json, not avro"}') }]);
    await producer.send('in', [{ key: single, value: { id: 'poison', n: 2 } }, { key: single, value: { id: 'last', n: 3 } }]);
    await start<Item>({
      groupId: 'dlq', topics: ['in'], stage: 'resolution', metricsRegistry: metrics,
      handle: (r) => {
        if (r.value.id === 'poison') throw new PayloadError('record refused: missing identifier');
        return [{ topic: 'out', key: r.key, value: { id: r.value.id, twice: r.value.n * 2 } }];
      },
    });
    const out = await kafka.readAll<{ id: string }>('out', { until: (rs) => rs.length >= 2, timeoutMs: 30_000 });
    expect(out.map((r) => r.value.id)).toEqual(['first', 'last']);
    const dead = await kafka.readAllRaw(deadLetterTopic('resolution'), { until: (rs) => rs.length >= 2, timeoutMs: 30_000 });
    expect(dead).toHaveLength(2);
    const [garbage, poison] = dead;
    expect(garbage?.key).toBe(single);
    expect(garbage?.value?.toString()).toBe('{"plain":"json, not avro"}');
    expect(garbage?.headers).toMatchObject({
      'dlq.stage': 'resolution', 'dlq.error.class': 'schema', 'dlq.error.name': 'SchemaError', 'dlq.attempt': '1',
      'dlq.source.topic': 'in', 'dlq.source.offset': '1',
    });
    expect(poison?.headers).toMatchObject({
      'dlq.stage': 'resolution', 'dlq.error.class': 'payload', 'dlq.error.name': 'PayloadError',
      'dlq.error.message': 'record refused: missing identifier', 'dlq.attempt': '1', 'dlq.source.topic': 'in', 'dlq.source.offset': '2',
    });
    for (const h of ['dlq.source.partition', 'dlq.timestamp']) expect(poison?.headers[h]).toBeTruthy();
    // The original bytes, not a re-encoding: they decode to the original value.
    expect(await kafka.registry.decode(poison?.value as Buffer)).toMatchObject({ id: 'poison', n: 2 });
    expect(await metricValue(metrics, METRICS.deadLetters, { stage: 'resolution', error_class: 'schema' })).toBe(1);
    expect(await metricValue(metrics, METRICS.deadLetters, { stage: 'resolution', error_class: 'payload' })).toBe(1);
    await eventually(async () => sumOffsets(await kafka.admin.committedOffsets('dlq', 'in')) === 4);
    await producer.disconnect();
  });

  it('retries a retriable error and then succeeds, without a dead letter', async () => {
    await setup();
    const metrics = new Registry();
    const producer = kafka.producer();
    await producer.send('in', [{ key: 'a', value: { id: 'flaky', n: 5 } }, { key: 'b', value: { id: 'fine', n: 6 } }]);
    const attempts: number[] = [];
    await start<Item>({
      groupId: 'retry', topics: ['in'], stage: 'unification', metricsRegistry: metrics,
      retry: { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 500 },
      handle: (r, ctx) => {
        if (r.value.id === 'flaky') {
          attempts.push(ctx.attempt);
          if (ctx.attempt < 3) throw new TransportError('downstream unavailable');
        }
        return [{ topic: 'out', key: r.key, value: { id: r.value.id, twice: r.value.n * 2 } }];
      },
    });
    const out = await kafka.readAll<{ id: string }>('out', { until: (rs) => rs.length >= 2, timeoutMs: 30_000 });
    expect(out.map((r) => r.value.id).sort()).toEqual(['fine', 'flaky']);
    expect(attempts).toEqual([1, 2, 3]);
    expect(await metricValue(metrics, METRICS.retries, { stage: 'unification' })).toBe(2);
    expect(await metricValue(metrics, METRICS.deadLetters, {})).toBe(0);
    await eventually(async () => sumOffsets(await kafka.admin.committedOffsets('retry', 'in')) === 2);
    expect(await kafka.readAllRaw(deadLetterTopic('unification'))).toHaveLength(0);
    await producer.disconnect();
  });

  it('commits nothing while the outputs cannot be produced, and delivers once they can', async () => {
    await setup();
    const N = 5;
    const producer = kafka.producer();
    await producer.send('in', Array.from({ length: N }, (_, i) => ({ key: `k${i}`, value: { id: `i-${i}`, n: i } })));
    // 'late' does not exist yet (auto-create is off): every produce fails.
    await kafka.registry.registerSchemas([topic('late', doubled)]);
    let handled = 0;
    await start<Item>({
      groupId: 'blocked', topics: ['in'], stage: 'unification',
      produceRetry: { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 200 },
      producerOptions: { retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 300 } },
      handle: (r) => { handled++; return [{ topic: 'late', key: r.key, value: { id: r.value.id, twice: r.value.n * 2 } }]; },
    });
    await eventually(() => handled >= N, 30_000);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(sumOffsets(await kafka.admin.committedOffsets('blocked', 'in'))).toBe(0);
    expect(await kafka.readAllRaw(deadLetterTopic('unification'))).toHaveLength(0);

    await kafka.admin.ensureTopics([topic('late', doubled)]);
    const out = await kafka.readAll<{ id: string }>('late', { until: (rs) => new Set(rs.map((r) => r.key)).size >= N, timeoutMs: 60_000 });
    expect(new Set(out.map((r) => r.key)).size).toBe(N);
    await eventually(async () => sumOffsets(await kafka.admin.committedOffsets('blocked', 'in')) === N, 60_000);
    await producer.disconnect();
  });

  it('handleBatch: one call for many records, a refused record dead-lettered alone', async () => {
    await setup();
    const producer = kafka.producer();
    const N = 30;
    await producer.send('in', Array.from({ length: N }, (_, i) => ({ key: 'one-partition', value: { id: `i-${i}`, n: i } })));
    const sizes: number[] = [];
    await start<Item>({
      groupId: 'batch', topics: ['in'], stage: 'unification',
      handleBatch: async (records) => {
        sizes.push(records.length);
        return records.map((r) => (r.value.n === 13
          ? new PayloadError('unlucky')
          : [{ topic: 'out', key: r.key, value: { id: r.value.id, twice: r.value.n * 2 } }]));
      },
    });
    const out = await kafka.readAll<{ id: string }>('out', { until: (rs) => rs.length >= N - 1, timeoutMs: 30_000 });
    expect(out.map((r) => r.value.id)).toEqual(Array.from({ length: N }, (_, i) => `i-${i}`).filter((id) => id !== 'i-13'));
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    const dead = await kafka.readAllRaw(deadLetterTopic('unification'), { until: (rs) => rs.length >= 1 });
    expect(dead.map((d) => d.headers['dlq.error.message'])).toEqual(['unlucky']);
    await eventually(async () => sumOffsets(await kafka.admin.committedOffsets('batch', 'in')) === N);
    await producer.disconnect();
  });

  it('transactional consume-transform-produce: outputs and offsets commit together', async () => {
    await setup();
    const producer = kafka.producer();
    const N = 20;
    await producer.send('in', Array.from({ length: N }, (_, i) => ({ key: `k${i}`, value: { id: `i-${i}`, n: i } })));
    await start<Item>({
      groupId: 'eos', topics: ['in'], stage: 'unification', transactionalId: `eos-${kafka.topicPrefix}`,
      handle: (r) => [{ topic: 'out', key: r.key, value: { id: r.value.id, twice: r.value.n * 2 } }],
    });
    const out = await kafka.readAll('out', { until: (rs) => rs.length >= N, timeoutMs: 30_000 });
    expect(out).toHaveLength(N);
    await eventually(async () => sumOffsets(await kafka.admin.committedOffsets('eos', 'in')) === N);
    await producer.disconnect();
  });

  it('stop() finishes the record in flight and commits only what was produced', async () => {
    await setup();
    const producer = kafka.producer();
    const N = 40;
    await producer.send('in', Array.from({ length: N }, (_, i) => ({ key: 'p', value: { id: `i-${i}`, n: i } })));
    let handled = 0;
    const c = await start<Item>({
      groupId: 'stopper', topics: ['in'], stage: 'unification',
      handle: async (r) => {
        handled++;
        await new Promise((res) => setTimeout(res, 50));
        return [{ topic: 'out', key: r.key, value: { id: r.value.id, twice: 0 } }];
      },
    });
    await eventually(() => handled >= 5);
    await c.stop();
    const committed = sumOffsets(await kafka.admin.committedOffsets('stopper', 'in'));
    const out = await kafka.readAll<{ id: string }>('out');
    expect(committed).toBeGreaterThanOrEqual(5);
    expect(committed).toBeLessThan(N);
    // Every committed record has its output; nothing beyond what was handled.
    expect(out.length).toBe(committed);
    expect(out.map((r) => r.value.id)).toEqual(Array.from({ length: committed }, (_, i) => `i-${i}`));
    await producer.disconnect();
  });
});
