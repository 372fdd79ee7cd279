import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { deadLetterTopic, type TopicSpec } from './catalogue.ts';
import type { ConsumerOptions, RunningConsumer } from './consumer.ts';
import type { KafkaClient } from './kafka.ts';
import { SENSED_AT_HEADER } from './latency.ts';
import { METRICS } from './metrics.ts';
import { createTestKafka, eventually } from './testing.ts';

const item = {
  type: 'record', name: 'Item', namespace: 'test.latency',
  fields: [{ name: 'id', type: 'string' }],
};
const spec = (name: string, valueSchema: Record<string, unknown> | null): TopicSpec => ({ name, valueSchema, partitions: 1, compacted: false });

interface Item { id: string }
interface Sample { metricName?: string; labels: Record<string, string | number>; value: number }

/** A histogram's count for a stage, and its cumulative count at bucket `le`. */
async function histogram(registry: Registry, name: string, stage: string): Promise<{ count: number; atMost(le: number): number; sum: number }> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = ((metric?.values ?? []) as Sample[]).filter((v) => v.labels.stage === stage);
  const one = (suffix: string): number => values.find((v) => v.metricName === `${name}${suffix}`)?.value ?? 0;
  return {
    count: one('_count'),
    sum: one('_sum'),
    atMost: (le) => values.find((v) => v.metricName === `${name}_bucket` && v.labels.le === le)?.value ?? 0,
  };
}

describe('sensed-at header and latency histograms (real Kafka + registry)', () => {
  let kafka: KafkaClient;
  const consumers: RunningConsumer[] = [];

  async function setup(extra: TopicSpec[] = []): Promise<void> {
    kafka = createTestKafka();
    const specs = [spec('in', item), spec('out', item), spec(deadLetterTopic('normalise'), null), ...extra];
    await kafka.admin.ensureTopics(specs);
    await kafka.registry.registerSchemas(specs);
  }

  afterEach(async () => {
    await Promise.allSettled(consumers.splice(0).map((c) => c.stop()));
    if (kafka) {
      await kafka.admin.deleteTopics(await kafka.admin.listTopics()).catch(() => undefined);
      await kafka.registry.deleteSubjects(['in', 'out', 'late']).catch(() => undefined);
      await kafka.disconnect();
    }
  });

  async function start(options: ConsumerOptions<Item>): Promise<void> {
    const c = await kafka.runConsumer<Item>(options);
    consumers.push(c);
    await c.ready;
  }

  /** Three inputs: sensed 2 s ago; sensed 2 s ago but the handler sets its own time; never sensed. */
  async function produceInputs(): Promise<string> {
    const sensedAt = String(Date.now() - 2_000);
    const producer = kafka.producer();
    await producer.send('in', [
      { key: 'a', value: { id: 'inherits' }, headers: { [SENSED_AT_HEADER]: sensedAt, other: 'x' } },
      { key: 'b', value: { id: 'own' }, headers: { [SENSED_AT_HEADER]: sensedAt } },
      { key: 'c', value: { id: 'unsensed' } },
    ]);
    await producer.disconnect();
    return sensedAt;
  }

  const outputFor = (r: { key: string | null; value: Item }): { topic: string; key: string | null; value: Item; headers?: Record<string, string> } =>
    ({ topic: 'out', key: r.key, value: r.value, ...(r.value.id === 'own' ? { headers: { [SENSED_AT_HEADER]: '1700000000000' } } : {}) });

  async function expectPropagatedAndObserved(registry: Registry, sensedAt: string): Promise<void> {
    const out = await kafka.readAll<Item>('out', { until: (rs) => rs.length >= 3, timeoutMs: 30_000 });
    const header = (id: string): string | undefined => out.find((r) => r.value.id === id)?.headers[SENSED_AT_HEADER];
    expect(header('inherits')).toBe(sensedAt);
    expect(out.find((r) => r.value.id === 'inherits')?.headers.other).toBeUndefined(); // only the sensed-at header travels
    expect(header('own')).toBe('1700000000000');
    expect(header('unsensed')).toBeUndefined();

    await eventually(async () => (await histogram(registry, METRICS.stageLatency, 'normalise')).count === 3);
    const stage = await histogram(registry, METRICS.stageLatency, 'normalise');
    // Broker timestamp to acknowledged: well under the 2 s the records were sensed before.
    expect(stage.sum / stage.count).toBeLessThan(2);
    expect(stage.atMost(10)).toBe(3);
    const pipeline = await histogram(registry, METRICS.pipelineLatency, 'normalise');
    expect(pipeline.count).toBe(2); // the unsensed record is not observed end to end
    expect(pipeline.atMost(1)).toBe(0); // sensed 2 s before: every observation is above 2 s
    expect(pipeline.atMost(30)).toBe(2);
    expect(pipeline.sum / pipeline.count).toBeGreaterThanOrEqual(2);
  }

  it('handle: outputs inherit the input\'s sensed-at unless they set it; both histograms observe each record', async () => {
    await setup();
    const sensedAt = await produceInputs();
    const registry = new Registry();
    await start({ groupId: 'one', topics: ['in'], stage: 'normalise', metricsRegistry: registry, handle: (r) => [outputFor(r)] });
    await expectPropagatedAndObserved(registry, sensedAt);
  });

  it('handleBatch: the same, per record of the batch', async () => {
    await setup();
    const sensedAt = await produceInputs();
    const registry = new Registry();
    const sizes: number[] = [];
    await start({
      groupId: 'batch', topics: ['in'], stage: 'normalise', metricsRegistry: registry,
      handleBatch: async (records) => { sizes.push(records.length); return records.map((r) => [outputFor(r)]); },
    });
    await expectPropagatedAndObserved(registry, sensedAt);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
  });

  it('transactional: observed once the transaction commits', async () => {
    await setup();
    const sensedAt = await produceInputs();
    const registry = new Registry();
    await start({ groupId: 'eos', topics: ['in'], stage: 'normalise', metricsRegistry: registry, transactionalId: `eos-${kafka.topicPrefix}`, handle: (r) => [outputFor(r)] });
    await expectPropagatedAndObserved(registry, sensedAt);
  });

  it('observes nothing while the outputs are not acknowledged, then every record once they are', async () => {
    await setup();
    const producer = kafka.producer();
    await producer.send('in', [
      { key: 'a', value: { id: 'a' }, headers: { [SENSED_AT_HEADER]: String(Date.now()) } },
      { key: 'b', value: { id: 'b' } },
      { key: 'c', value: { id: 'c' }, headers: { [SENSED_AT_HEADER]: String(Date.now()) } },
    ]);
    await producer.disconnect();
    // 'late' does not exist yet (auto-create is off): every produce fails until it does.
    await kafka.registry.registerSchemas([spec('late', item)]);
    const registry = new Registry();
    let handled = 0;
    await start({
      groupId: 'blocked', topics: ['in'], stage: 'normalise', metricsRegistry: registry,
      produceRetry: { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 200 },
      producerOptions: { retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 300 } },
      handle: (r) => { handled++; return [{ topic: 'late', key: r.key, value: r.value }]; },
    });
    await eventually(() => handled >= 3, 30_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await histogram(registry, METRICS.stageLatency, 'normalise')).count).toBe(0);
    expect((await histogram(registry, METRICS.pipelineLatency, 'normalise')).count).toBe(0);

    await kafka.admin.ensureTopics([spec('late', item)]);
    // Re-delivered after the failed produce, so more handling than records; observed once each.
    await eventually(async () => (await histogram(registry, METRICS.stageLatency, 'normalise')).count >= 3, 60_000);
    const stage = await histogram(registry, METRICS.stageLatency, 'normalise');
    expect(stage.count).toBe(3);
    const pipeline = await histogram(registry, METRICS.pipelineLatency, 'normalise');
    expect(pipeline.count).toBe(2);
    // They waited at least the 3 s the topic was missing.
    expect(pipeline.atMost(2.5)).toBe(0);
    const late = await kafka.readAll<Item>('late', { until: (rs) => new Set(rs.map((r) => r.key)).size >= 3, timeoutMs: 30_000 });
    expect(late.find((r) => r.key === 'a')?.headers[SENSED_AT_HEADER]).toBeTruthy();
  });
});
