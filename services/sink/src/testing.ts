/** Builders for the sink's own specs (not used by the service). */
import { createLogger } from '@cr/core';
import { Registry } from 'prom-client';
import { sinkConfigSchema, type EntityState, type FieldValue, type SinkConfigInput } from '@cr/world-model';
import { createDb, type Db } from '@cr/runtime';
import { createKeyedMutex } from './keyed-mutex.ts';
import { sinkMetrics } from './metrics.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { createApprovalStore } from './store/approvals.ts';
import { createEntityCopies } from './store/entities.ts';
import { createLedger } from './store/ledger.ts';
import { migrateSink } from './store/tables.ts';
import { NO_LLM, type CodeMapper } from './code-mapper.ts';
import { createTarget } from './target/index.ts';
import { syncEntity, type SyncContext, type SyncOutcome, type SyncRequest } from './sync.ts';

export const field = (value: unknown, over: Partial<FieldValue> = {}): FieldValue => ({
  valueJson: JSON.stringify(value), eventId: `evt-${Math.random().toString(36).slice(2, 10)}`, dataSourceId: 'ehr-a', origin: 'ehr_sync',
  confidence: 1, observedAt: Date.now(), verified: true, ...over,
});

export function entity(entityId: string, entityType: string, fields: Record<string, FieldValue>, over: Partial<EntityState> = {}): EntityState {
  return { entityId, entityType, version: 1, fields, sourceRefs: [], identifiers: [], minConfidence: 1, eventCount: 1, updatedAt: Date.now(), deleted: false, ...over };
}

/** A fresh Postgres schema for one spec file. */
export async function freshDb(label: string): Promise<{ db: Db; drop: () => Promise<void> }> {
  const schema = `${label}_${Date.now().toString(36)}`;
  const db = await createDb({ url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema });
  await migrateSink(db);
  return { db, drop: async () => { await db.raw(`drop schema if exists "${schema}" cascade`); await db.destroy(); } };
}

/** A sync context over a real target and Postgres, with a generous rate limit. */
export async function testContext(db: Db, input: SinkConfigInput, codes: CodeMapper = NO_LLM): Promise<SyncContext> {
  const config = sinkConfigSchema.parse({ rateLimit: { writesPerSecond: 1_000, burst: 100 }, ...input });
  return {
    config, target: await createTarget(config), limiter: createRateLimiter({ perSecond: config.rateLimit.writesPerSecond, burst: config.rateLimit.burst }),
    ledger: createLedger(db, config.id), entities: createEntityCopies(db, config.id), approvals: createApprovalStore(db, config.id),
    codes, mutex: createKeyedMutex(), metrics: sinkMetrics(new Registry()), logger: createLogger({ name: 'sink-spec', level: 'silent' }), now: Date.now,
  };
}

/** What the consumer does for one state, without Kafka. */
export function sync(ctx: SyncContext, state: EntityState, over: Partial<SyncRequest> = {}): Promise<SyncOutcome> {
  return ctx.mutex.run(state.entityId, async () => {
    await ctx.entities.save(state);
    return syncEntity(ctx, { state, trigger: 'realtime', attempt: 1, verify: false, ...over });
  });
}
