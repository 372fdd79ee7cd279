/**
 * Bad input never stops a service: a malformed raw record, an undecodable message
 * and a message written with a schema the registry does not know each go to the
 * stage's dead-letter topic with their context, are counted, and the service
 * goes on with the next record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, deadLetterTopic } from '@cr/kafka';
import type { RawRecord } from '@cr/world-model';
import { provision } from '../../../scripts/provision.ts';
import { newRun } from './env.ts';
import { ServiceProcess, eventually } from './processes.ts';

const testRun = newRun('badinput');
const unification = new ServiceProcess('unification', ['services/unification/src/main.ts'], testRun.env, testRun.logDir);

function raw(externalId: string, payload: string): RawRecord {
  return {
    recordId: `rec-${externalId}`, dataSourceId: 'ehr-a', sourceType: 'fhir_store', system: 'http://ehr-a', resourceType: 'Patient',
    externalId, contentHash: `hash-${externalId}`, payload, sourceVersion: '1', sourceLastUpdated: null, observedAt: 1, ingestedAt: 2,
  };
}

beforeAll(async () => {
  await provision(testRun.env);
  await unification.start();
  await unification.ready();
}, 120_000);

afterAll(async () => {
  await unification.kill('SIGTERM');
  if (!process.env.KEEP_TEST_DATA) await testRun.cleanup();
});

describe('bad input goes to dead letters and the service keeps going', () => {
  it('dead-letters a malformed record, an undecodable message and an unknown schema id, then maps the next good record', async () => {
    const producer = testRun.kafka.producer();
    await producer.send(TOPICS.rawRecords, [{ key: 'ehr-a/Patient/bad-json', value: raw('bad-json', '{"resourceType": "Patient", ') }]);
    await producer.sendRaw(TOPICS.rawRecords, [{ key: 'ehr-a/Patient/garbage', value: Buffer.from('definitely not avro') }]);
    // Confluent wire format, magic byte 0, with a schema id the registry never issued.
    const unknownId = Buffer.alloc(5 + 4);
    unknownId.writeUInt8(0, 0);
    unknownId.writeUInt32BE(987_654_321, 1);
    await producer.sendRaw(TOPICS.rawRecords, [{ key: 'ehr-a/Patient/unknown-schema', value: unknownId }]);
    await producer.send(TOPICS.rawRecords, [{ key: 'ehr-a/Patient/good', value: raw('good', JSON.stringify({ resourceType: 'Patient', id: 'good', name: [{ family: 'Okafor' }] })) }]);
    await producer.disconnect();

    const events = await eventually('the good record mapped', async () => {
      const r = await testRun.kafka.readAll(TOPICS.worldEvents, { timeoutMs: 3_000 });
      return r.length >= 1 ? r : undefined;
    }, 60_000);
    expect(events.map((e) => e.key)).toEqual(['Patient/ehr-a/Patient/good']);

    const dead = await eventually('three dead letters', async () => {
      const r = await testRun.kafka.readAllRaw(deadLetterTopic('unification'), { timeoutMs: 3_000 });
      return r.length >= 3 ? r : undefined;
    }, 30_000);
    const byKey = new Map(dead.map((d) => [d.key, d.headers]));
    expect(byKey.get('ehr-a/Patient/bad-json')).toMatchObject({ 'dlq.stage': 'unification', 'dlq.error.class': 'payload', 'dlq.source.topic': TOPICS.rawRecords });
    expect(byKey.get('ehr-a/Patient/garbage')).toMatchObject({ 'dlq.stage': 'unification', 'dlq.error.class': 'schema' });
    expect(byKey.get('ehr-a/Patient/unknown-schema')).toMatchObject({ 'dlq.stage': 'unification', 'dlq.error.class': 'schema' });
    for (const h of byKey.values()) {
      expect(h['dlq.source.offset']).toMatch(/^\d+$/);
      expect(h['dlq.error.message']).not.toContain('Patient", ');
    }
    // The original bytes are kept for replay.
    expect(dead.find((d) => d.key === 'ehr-a/Patient/garbage')?.value?.toString()).toBe('definitely not avro');

    const metrics = await unification.metrics();
    expect(metrics).toMatch(/cr_dead_letters_total\{[^}]*error_class="payload"[^}]*\} 1/);
    expect(metrics).toMatch(/cr_dead_letters_total\{[^}]*error_class="schema"[^}]*\} 2/);
    expect((await fetch(`http://127.0.0.1:${unification.opsPort}/healthz`)).status).toBe(200);
  });
});
