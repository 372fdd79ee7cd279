import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { startLagMonitor, partitionLag } from './lag.ts';
import { METRICS } from './metrics.ts';
import type { KafkaClient } from './kafka.ts';
import { createTestKafka, eventually, testLogger } from './testing.ts';

const item = { type: 'record', name: 'LagItem', namespace: 'test.kafka', fields: [{ name: 'id', type: 'string' }] };

async function lagOf(registry: Registry, group: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === METRICS.consumerLag);
  const values = (metric?.values ?? []) as Array<{ labels: Record<string, string | number>; value: number }>;
  return values.filter((v) => v.labels.group === group).reduce((s, v) => s + v.value, 0);
}

describe('consumer lag (real Kafka)', () => {
  let kafka: KafkaClient | undefined;
  const track = (k: KafkaClient): void => { kafka = k; };
  afterEach(async () => {
    if (!kafka) return;
    const topics = await kafka.admin.listTopics();
    await kafka.admin.deleteTopics(topics).catch(() => undefined);
    await kafka.disconnect();
    kafka = undefined;
  });

  it('counts what a group has not consumed yet, and drops to zero once it has', async () => {
    const kafka = createTestKafka();
    track(kafka);
    const specs = [{ name: 'lagged', valueSchema: item, partitions: 2, compacted: false }];
    await kafka.admin.ensureTopics(specs);
    await kafka.registry.registerSchemas(specs);
    const producer = kafka.producer();
    await producer.send('lagged', Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, value: { id: String(i) } })));

    const registry = new Registry();
    const monitor = startLagMonitor({ admin: kafka.admin, groups: () => [{ groupId: 'slow-sink', topics: ['lagged'] }], registry, logger: testLogger(), intervalMs: 60_000 });
    await monitor.measure();
    expect(await lagOf(registry, 'slow-sink')).toBe(7);

    const consumer = await kafka.runConsumer({ groupId: 'slow-sink', topics: ['lagged'], stage: 'sink', handle: () => [] });
    await consumer.ready;
    await eventually(async () => { await monitor.measure(); return (await lagOf(registry, 'slow-sink')) === 0; }, 30_000);
    // Stop first: a record sent while the group still runs may or may not be consumed before stop().
    await consumer.stop();
    await producer.send('lagged', [{ key: 'late', value: { id: 'late' } }]);
    await monitor.measure();
    expect(await lagOf(registry, 'slow-sink')).toBe(1);
    monitor.stop();
  });

  it('computes partition lag from end and committed offsets', () => {
    expect(partitionLag('10', '4')).toBe(6);
    expect(partitionLag('10', '-1')).toBe(10);
    expect(partitionLag('3', '5')).toBe(0);
  });
});
