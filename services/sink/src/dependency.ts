import { dependencyCheck, ownTargetId, type DependencyRef } from '@cr/world-model';
import type { SyncContext, SyncOutcome, SyncRequest } from './sync.ts';
import type { SyncResultValue } from './results.ts';

export type Resolved = { ok: true; reference: string; results: SyncResultValue[] } | { ok: false; reason: string; waitingOn: string; results: SyncResultValue[] };

/**
 * A reference to another entity's record in the target. It exists when the
 * entity was read from the target, or this sink wrote it; when it does not yet,
 * and the entity is eligible, the sink creates it first (autonomous creation).
 * Anything below the threshold fails, it is not left pending.
 */
export async function resolveDependency(ctx: SyncContext, dep: DependencyRef, req: SyncRequest, syncEntity: (ctx: SyncContext, req: SyncRequest) => Promise<SyncOutcome>): Promise<Resolved> {
  const c = ctx.config;
  const depMapping = c.mappings[dep.entityType];
  const depState = await ctx.entities.find(dep.entityType, dep.ref);
  const recordType = depMapping?.target ?? dep.entityType;
  const check = dependencyCheck(depState, depMapping, c.threshold);
  const waitingOn = depState?.entityId ?? dep.ref;
  if (!check.ok || !depState) return { ok: false, reason: `${dep.field} -> ${dep.entityType} ${dep.ref}: ${check.ok ? 'not known' : check.reason}`, waitingOn, results: [] };
  const own = ownTargetId(depState, c.ownDataSourceIds, recordType);
  if (own) return { ok: true, reference: ctx.target.reference(recordType, own), results: [] };
  const pos = await ctx.ledger.position(depState.entityId);
  if (pos?.targetId) return { ok: true, reference: ctx.target.reference(pos.targetType ?? recordType, pos.targetId), results: [] };
  if (!c.entityTypes.includes(dep.entityType) || (req.depth ?? 0) > 0) {
    return { ok: false, reason: `${dep.field} -> ${dep.entityType} ${depState.entityId}: not in the target, and this sink does not create ${dep.entityType}`, waitingOn, results: [] };
  }
  const out = await ctx.mutex.run(depState.entityId, async () => syncEntity(ctx, { state: (await ctx.entities.get(depState.entityId)) ?? depState, trigger: 'dependency', attempt: 1, verify: false, depth: 1, ...(req.tick ? { tick: req.tick } : {}) }));
  const mine = out.results[out.results.length - 1]!;
  if (mine.targetId && (mine.outcome === 'written' || mine.outcome === 'unchanged')) return { ok: true, reference: ctx.target.reference(mine.targetType ?? recordType, mine.targetId), results: out.results };
  return { ok: false, reason: `${dep.field} -> ${dep.entityType} ${depState.entityId}: ${mine.outcome}${mine.reason ? ` (${mine.reason})` : ''}`, waitingOn, results: out.results };
}
