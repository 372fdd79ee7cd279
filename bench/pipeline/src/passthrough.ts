import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaClient } from '@cr/kafka';
import type { RawRecord } from '@cr/world-model';
import type { PerfFigure } from '@cr/kafka/perf';
import { agentWrite, patient } from './workload.ts';

/**
 * The library's own limit: one consume-transform-produce stage through
 * `runConsumer` (decode, a handler that parses the payload, encode, produce,
 * commit after ack) with no I/O in the handler. The gap between this and the
 * pipeline is what the services' handlers cost.
 */

const IN = 'bench.passthrough-in.v1';
const OUT = 'bench.passthrough-out.v1';

function raw(i: number): RawRecord {
  return {
    recordId: `rec-${i}`, dataSourceId: 'ehr-a', sourceType: 'fhir_store', system: 'http://ehr-a', resourceType: 'Patient',
    externalId: String(i), contentHash: `h-${i}`, payload: JSON.stringify(patient(i)), sourceVersion: '1',
    sourceLastUpdated: null, observedAt: i, ingestedAt: i,
  };
}

export async function measurePassThrough(kafka: KafkaClient, count: number): Promise<PerfFigure> {
  await kafka.admin.ensureTopics([
    { name: IN, valueSchema: 'RawRecord', partitions: 3, compacted: false },
    { name: OUT, valueSchema: 'WorldEvent', partitions: 3, compacted: false },
    { name: 'bench.dead-letter.v1', valueSchema: null, partitions: 1, compacted: false },
  ]);
  await kafka.registry.registerSchemas([
    { name: IN, valueSchema: 'RawRecord', partitions: 3, compacted: false },
    { name: OUT, valueSchema: 'WorldEvent', partitions: 3, compacted: false },
  ]);
  const producer = kafka.producer();
  for (let i = 0; i < count; i += 1_000) {
    await producer.send(IN, Array.from({ length: Math.min(1_000, count - i) }, (_, j) => ({ key: `ehr-a/Patient/${i + j}`, value: raw(i + j) })));
  }
  await producer.disconnect();

  let first: number | undefined;
  let bytes = 0;
  const consumer = await kafka.runConsumer({
    groupId: 'bench-passthrough', topics: [IN], stage: 'bench',
    handle: (record) => {
      first ??= performance.now();
      const r = record.value as RawRecord;
      bytes += r.payload.length;
      const resource = JSON.parse(r.payload) as { identifier?: { system: string; value: string }[] };
      const out = agentWrite('agent', Number(r.externalId), 0, 'passthrough', r.ingestedAt);
      out.value.identifiers = resource.identifier ?? [];
      return [{ topic: OUT, key: record.key, value: out.value }];
    },
  });
  // Done when every input offset is committed (so every output was acknowledged).
  for (;;) {
    const committed = await kafka.admin.committedOffsets('bench-passthrough', IN);
    if (committed.reduce((n, c) => n + Math.max(0, Number(c.offset)), 0) >= count) break;
    await sleep(20);
  }
  const ms = performance.now() - (first ?? performance.now());
  await consumer.stop();
  const seconds = Math.max(ms, 1) / 1000;
  return { messages: count, bytes, seconds, messagesPerSecond: count / seconds, mbPerSecond: bytes / 1_048_576 / seconds };
}
