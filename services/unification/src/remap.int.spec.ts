/** Replaying history through new rules, against the real Kafka and registry. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue, TOPICS, type KafkaClient } from '@cr/kafka';
import { createTestKafka } from '@cr/kafka/testing';
import type { RawRecord, WorldEvent } from '@cr/world-model';
import { remap } from './remap.ts';

const raw = (dataSourceId: string, i: number): RawRecord => ({
  recordId: `rec-${dataSourceId}-${i}`, dataSourceId, sourceType: 'file_drop', system: dataSourceId, resourceType: 'PatientRow', externalId: String(i),
  contentHash: `h${i}`, payload: JSON.stringify({ patient_id: String(i), last_name: `Name${i}`, sex: 'F' }), sourceVersion: null, sourceLastUpdated: null, observedAt: i, ingestedAt: i,
});

describe('remap (real Kafka)', () => {
  let kafka: KafkaClient;
  beforeAll(async () => {
    kafka = createTestKafka();
    const specs = catalogue({ partitions: 2 }).filter((t) => [TOPICS.rawRecords, TOPICS.worldEvents, TOPICS.connectorConfig, 'unification.dead-letter.v1'].includes(t.name));
    await kafka.admin.ensureTopics(specs);
    const producer = kafka.producer();
    await producer.send(TOPICS.rawRecords, [...[1, 2, 3].map((i) => raw('crm', i)), ...[1, 2].map((i) => raw('other', i))].map((r) => ({ key: `${r.dataSourceId}/${r.resourceType}/${r.externalId}`, value: r })));
    const rules = { ruleSets: [{ id: 'crm-rows', version: '2', resourceType: 'PatientRow', entityType: 'Patient', origin: 'crm_sync', fields: { 'name.family': { path: 'last_name', transforms: ['upper'] }, gender: { path: 'sex', codeMap: { F: 'female' } } } }] };
    await producer.send(TOPICS.connectorConfig, [{ key: 'crm', value: { id: 'crm', name: 'CRM', type: 'file_drop', enabled: true, configJson: JSON.stringify({ mapping: rules }), revision: 2, updatedAt: 1 } }]);
  }, 60_000);
  afterAll(async () => {
    const topics = await kafka.admin.listTopics();
    await kafka.registry.deleteSubjects(topics).catch(() => undefined);
    await kafka.admin.deleteTopics(topics);
    await kafka.disconnect();
  });

  it('maps the chosen source\'s history with its current rules, with the new version on every event', async () => {
    const result = await remap(kafka, { dataSourceId: 'crm' }, 60_000);
    expect(result).toEqual({ read: 3, remapped: 3, deadLettered: 0, byMapping: { 'crm-rows@2': 3 } });
    const events = (await kafka.readAll<WorldEvent>(TOPICS.worldEvents)).map((r) => r.value);
    expect(events).toHaveLength(3);
    expect(events.every((e) => e.source.dataSourceId === 'crm' && e.mappingVersion === 'crm-rows@2')).toBe(true);
    expect(events.find((e) => e.source.externalId === '2')?.attributes).toEqual({ 'name.family': '"NAME2"', gender: '"female"' });
    // Run again with the same rules: the same event ids (downstream ignores them).
    await remap(kafka, { dataSourceId: 'crm' }, 60_000);
    const again = (await kafka.readAll<WorldEvent>(TOPICS.worldEvents)).map((r) => r.value);
    expect(new Set(again.map((e) => e.eventId)).size).toBe(3);
  }, 120_000);
});
