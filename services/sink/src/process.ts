import { isRetriable } from '@cr/core';
import { compositeKey, TOPICS, type OutputMessage, type RawMessage } from '@cr/kafka';
import type { EntityState } from '@cr/world-model';
import { sinkDeadLetter, type SourcePosition } from './dead-letter.ts';
import { resultFor, type Outcome, type Trigger } from './results.ts';
import { syncEntity, type SyncContext } from './sync.ts';

export interface ProcessOptions {
  trigger: Trigger;
  attempt: number;
  /** Re-evaluate even if the ledger already has this version (approvals, dependencies, read-back). */
  force: boolean;
  verify: boolean;
  tick?: () => Promise<void>;
  source?: SourcePosition;
}

export interface Processor {
  /**
   * Syncs the latest state known for the entity (never an older one) under its
   * mutex. Dead letters are sent and acknowledged before it returns; the results
   * for sink.results are returned, for the caller to produce before committing.
   */
  process(state: EntityState, o: ProcessOptions): Promise<OutputMessage[]>;
  /** The last write attempt failed with a transient error (the target is down or throttling). */
  isFailing(): boolean;
}

export function createProcessor(o: {
  ctx: SyncContext;
  encode: (state: EntityState) => Promise<Buffer>;
  sendDeadLetter: (message: RawMessage, errorClass: string) => Promise<void>;
  requeue: (entityIds: readonly string[]) => void;
}): Processor {
  const { ctx } = o;
  const output = (value: { entityId: string }): OutputMessage => ({ topic: TOPICS.sinkResults, key: compositeKey(ctx.config.id, value.entityId), value });
  // Types the sink writes, and the types they reference (looked up as dependencies).
  const taken = new Set(ctx.config.entityTypes);
  let failing = false;
  const kept = new Set([...taken, ...Object.values(ctx.config.mappings).flatMap((m) => Object.values(m.fields).flatMap((f) => (f.reference ? [f.reference] : [])))]);
  return {
    isFailing: () => failing,
    async process(state, p) {
      if (!kept.has(state.entityType)) return [];
      if (!taken.has(state.entityType)) {
        await ctx.entities.save(state);
        return [];
      }
      return ctx.mutex.run(state.entityId, async () => {
        const latest = await ctx.entities.save(state);
        if (!p.force && !p.verify) {
          const pos = await ctx.ledger.position(latest.entityId);
          if (pos && pos.lastVersion > latest.version) return [];
          // Handled before a crash, result maybe not produced: say it again.
          if (pos && pos.lastVersion === latest.version) {
            return [output(resultFor(ctx.config.id, latest, p.trigger, p.attempt, ctx.now(), {
              outcome: pos.outcome as Outcome, reasonCode: pos.reasonCode, targetType: pos.targetType, targetId: pos.targetId, targetVersion: pos.targetVersion, dependsOn: pos.waitingOn,
            }))];
          }
        }
        let out;
        try {
          out = await syncEntity(ctx, { state: latest, trigger: p.trigger, attempt: p.attempt, verify: p.verify, ...(p.tick ? { tick: p.tick } : {}) });
          failing = false;
        } catch (error) {
          if (isRetriable(error)) failing = true;
          throw error;
        }
        if (out.failure) {
          const message = sinkDeadLetter({ sinkId: ctx.config.id, state: latest, bytes: await o.encode(latest), failure: out.failure, attempt: p.attempt, now: ctx.now(), ...(p.source ? { source: p.source } : {}) });
          await o.sendDeadLetter(message, message.headers!['dlq.error.class']!);
          const e = out.failure.error as { status?: number };
          ctx.logger.warn({ sinkId: ctx.config.id, entityId: latest.entityId, version: latest.version, step: out.failure.step, recordType: out.failure.recordType, status: e.status, errorClass: message.headers!['dlq.error.class'] }, 'sink.dead_letter');
        }
        if (out.dependents.length) o.requeue(out.dependents);
        return out.results.map(output);
      });
    },
  };
}
