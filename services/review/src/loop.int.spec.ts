/**
 * The review loop against real Kafka, registry and Postgres: a waiting event the
 * real-time path missed is caught by the safety-net scan, and an entity leased by
 * an instance that died is taken over once its lease runs out.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createLogger, systemClock } from '@cr/core';
import { TOPICS, topicSpec, type KafkaClient, type Producer } from '@cr/kafka';
import { createTestKafka, eventually } from '@cr/kafka/testing';
import { createDb, type Db } from '@cr/runtime';
import { createDeterministicJudge, type ResolvedEvent, type ReviewTask } from '@cr/world-model';
import { startReviewLoop, type ReviewLoop } from './loop.ts';
import { reviewMetrics } from './metrics.ts';
import { createReviewStore, type ReviewStore } from './store.ts';

const schema = `review_${randomUUID().slice(0, 8)}`;
let kafka: KafkaClient;
let producer: Producer;
let db: Db;
let store: ReviewStore;
let loop: ReviewLoop | undefined;
const registry = new Registry();
const metrics = reviewMetrics(registry);

function voice(entityId: string, eventId: string): ResolvedEvent {
  return {
    entityId,
    event: {
      eventId, entityType: 'Patient', source: { dataSourceId: 'voice', system: 'api', resourceType: 'Patient', externalId: eventId },
      attributes: { 'insurance.memberId': '"QZ-4471"' }, identifiers: [], confidence: 0.5, origin: 'voice', observedAt: Date.now(), recordedAt: Date.now(),
      mappingVersion: 'api@1', causationId: 'r', category: null, deleted: false, sourceMaterial: 'no member id was said',
    },
    resolution: { tier: 1, rule: 'caller-entity-id', score: 1, features: [] },
  };
}

async function tasksFor(entityId: string): Promise<ReviewTask[]> {
  const all = await kafka.readAll<ReviewTask>(TOPICS.reviewTasks, { timeoutMs: 3_000 });
  return all.map((r) => r.value).filter((t) => t.entityId === entityId);
}

beforeAll(async () => {
  kafka = createTestKafka();
  const specs = [TOPICS.reviewTasks, TOPICS.reviewVerdicts].map((t) => topicSpec(t));
  await kafka.admin.ensureTopics(specs);
  await kafka.registry.registerSchemas(specs);
  producer = kafka.producer();
  await producer.connect();
  db = await createDb({ url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema });
  store = await createReviewStore(db);
});

afterAll(async () => {
  await loop?.stop();
  await producer?.disconnect();
  const topics = await kafka.admin.listTopics().catch(() => [] as string[]);
  await kafka.registry.deleteSubjects(topics).catch(() => undefined);
  await kafka.admin.deleteTopics(topics).catch(() => undefined);
  await kafka.disconnect();
  await db.raw(`drop schema if exists "${schema}" cascade`);
  await db.destroy();
});

describe('review loop safety net', () => {
  it('reviews an event whose entity lost its queue row, and takes over an entity whose owner died', async () => {
    // Missed by the real-time path: the event waits but nothing scheduled its entity.
    await store.enqueue(voice('ent-missed', 'ev-missed'), Date.now(), 0, 0);
    await db('review_queue').where({ entity_id: 'ent-missed' }).delete();
    // Claimed by an instance that then died: its lease has run out.
    await store.enqueue(voice('ent-orphan', 'ev-orphan'), Date.now(), 0, 0);
    await db('review_queue').where({ entity_id: 'ent-orphan' }).update({ lease_owner: 'dead-instance', lease_until: Date.now() - 1 });

    loop = startReviewLoop({
      store, judge: createDeterministicJudge(), producer, clock: systemClock, metrics, instanceId: 'test', leaseMs: 60_000, scanIntervalMs: 300,
      logger: createLogger({ name: 'review-test', level: 'silent' }),
    });
    for (const entityId of ['ent-missed', 'ent-orphan']) {
      const tasks = await eventually(async () => { const t = await tasksFor(entityId); return t.length ? t : undefined; }, 30_000);
      expect(tasks?.[0]).toMatchObject({ status: 'open', eventIds: [entityId.replace('ent', 'ev')] });
    }
    const requeued = (await registry.getSingleMetricAsString('cr_review_safety_net_requeued_total'));
    expect(requeued).toMatch(/cr_review_safety_net_requeued_total 1/);
    expect(await db('review_queue').count({ n: '*' }).first()).toMatchObject({ n: '0' });
    expect(await db('review_events').where({ status: 'pending' }).count({ n: '*' }).first()).toMatchObject({ n: '0' });
  });
});
