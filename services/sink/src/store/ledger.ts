import type { Db } from '@cr/runtime';
import type { LedgerPosition } from '@cr/world-model';

/** Where the sink stands with one entity in its target. */
export interface TargetPosition {
  entityType: string | null;
  lastVersion: number;
  outcome: string;
  reasonCode: string | null;
  targetType: string | null;
  targetId: string | null;
  targetVersion: string | null;
  contentHash: string | null;
  waitingOn: string | null;
  verified: boolean;
}

/** One handled entity version, as the ledger records it. */
export interface LedgerEntry {
  entityId: string;
  entityType: string;
  version: number;
  outcome: string;
  reason: string | null;
  reasonCode: string | null;
  trigger: string;
  attempt: number;
  contentHash: string | null;
  /** The entity's record in the target; null keeps what the position had. */
  targetType: string | null;
  targetId: string | null;
  targetVersion: string | null;
  waitingOn: string | null;
  /** A write went out (needs reading back); or a read-back matched (verified). */
  wrote: boolean;
  verified: boolean;
}

export interface StepRecord {
  status: 'done' | 'failed';
  contentHash: string | null;
  targetType: string | null;
  targetId: string | null;
  targetVersion: string | null;
}

export interface Ledger {
  position(entityId: string): Promise<TargetPosition | undefined>;
  record(entry: LedgerEntry): Promise<void>;
  /** Entities whose write failed waiting for one of `keys` (an entity id, or `Type/externalId`). */
  waitingFor(keys: readonly string[]): Promise<string[]>;
  positions(): Promise<Map<string, LedgerPosition>>;
  /** Entities with a record in the target. */
  inTarget(): Promise<Set<string>>;
  steps(entityId: string, version: number): Promise<Map<string, StepRecord>>;
  step(entityId: string, version: number, step: string, record: StepRecord & { error?: string }): Promise<void>;
}

/** The sink's ledger, per sink, entity and entity version; positions per sink and entity. */
export function createLedger(db: Db, sinkId: string): Ledger {
  return {
    async position(entityId) {
      const r = await db('sink_targets').where({ sink_id: sinkId, entity_id: entityId }).first();
      if (!r) return undefined;
      return {
        entityType: r.entity_type, lastVersion: Number(r.last_version), outcome: r.outcome, reasonCode: r.reason_code,
        targetType: r.target_type, targetId: r.target_id, targetVersion: r.target_version, contentHash: r.content_hash,
        waitingOn: r.waiting_on, verified: r.verified_at !== null && (r.written_at === null || r.verified_at >= r.written_at),
      };
    },

    async record(e) {
      await db.transaction(async (trx) => {
        await trx('sink_ledger')
          .insert({
            sink_id: sinkId, entity_id: e.entityId, entity_version: e.version, entity_type: e.entityType, outcome: e.outcome,
            reason: e.reason, reason_code: e.reasonCode, trigger: e.trigger, attempt: e.attempt, content_hash: e.contentHash,
            target_type: e.targetType, target_id: e.targetId, target_version: e.targetVersion, updated_at: trx.fn.now(),
          })
          .onConflict(['sink_id', 'entity_id', 'entity_version'])
          .merge(['outcome', 'reason', 'reason_code', 'trigger', 'attempt', 'content_hash', 'target_type', 'target_id', 'target_version', 'updated_at']);
        await trx.raw(`
          insert into sink_targets as t (sink_id, entity_id, entity_type, last_version, outcome, reason_code, target_type, target_id,
            target_version, content_hash, waiting_on, written_at, verified_at, updated_at)
          values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, case when ? then now() end, case when ? then now() end, now())
          on conflict (sink_id, entity_id) do update set
            entity_type = excluded.entity_type,
            last_version = greatest(t.last_version, excluded.last_version),
            outcome = excluded.outcome,
            reason_code = excluded.reason_code,
            target_type = coalesce(excluded.target_type, t.target_type),
            target_id = coalesce(excluded.target_id, t.target_id),
            target_version = coalesce(excluded.target_version, t.target_version),
            content_hash = coalesce(excluded.content_hash, t.content_hash),
            waiting_on = excluded.waiting_on,
            written_at = coalesce(excluded.written_at, t.written_at),
            verified_at = case when ? then now() when ? then null else t.verified_at end,
            updated_at = now()`,
        [sinkId, e.entityId, e.entityType, e.version, e.outcome, e.reasonCode, e.targetType, e.targetId, e.targetVersion, e.contentHash,
          e.waitingOn, e.wrote, e.verified, e.verified, e.wrote]);
      });
    },

    async waitingFor(keys) {
      const rows = await db('sink_targets').where({ sink_id: sinkId, outcome: 'dependency_failed' }).whereIn('waiting_on', [...keys]).select('entity_id');
      return rows.map((r: { entity_id: string }) => r.entity_id);
    },

    async positions() {
      const rows = await db('sink_targets').where({ sink_id: sinkId })
        .select('entity_id', 'last_version', 'outcome', 'waiting_on', db.raw('(verified_at is not null and (written_at is null or verified_at >= written_at)) as verified'));
      return new Map(rows.map((r: { entity_id: string; last_version: string; outcome: string; waiting_on: string | null; verified: boolean }) =>
        [r.entity_id, { lastVersion: Number(r.last_version), outcome: r.outcome, waitingOn: r.waiting_on, verified: r.verified }]));
    },

    async inTarget() {
      const rows = await db('sink_targets').where({ sink_id: sinkId }).whereNotNull('target_id').select('entity_id');
      return new Set(rows.map((r: { entity_id: string }) => r.entity_id));
    },

    async steps(entityId, version) {
      const rows = await db('sink_steps').where({ sink_id: sinkId, entity_id: entityId, entity_version: version });
      return new Map(rows.map((r: { step: string; status: 'done' | 'failed'; content_hash: string | null; target_type: string | null; target_id: string | null; target_version: string | null }) =>
        [r.step, { status: r.status, contentHash: r.content_hash, targetType: r.target_type, targetId: r.target_id, targetVersion: r.target_version }]));
    },

    async step(entityId, version, step, s) {
      await db.raw(`
        insert into sink_steps as s (sink_id, entity_id, entity_version, step, status, content_hash, target_type, target_id, target_version, attempts, error, updated_at)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, now())
        on conflict (sink_id, entity_id, entity_version, step) do update set
          status = excluded.status, content_hash = excluded.content_hash, target_type = coalesce(excluded.target_type, s.target_type), target_id = coalesce(excluded.target_id, s.target_id),
          target_version = coalesce(excluded.target_version, s.target_version), attempts = s.attempts + 1, error = excluded.error, updated_at = now()`,
      [sinkId, entityId, version, step, s.status, s.contentHash, s.targetType, s.targetId, s.targetVersion, s.error ?? null]);
    },
  };
}
