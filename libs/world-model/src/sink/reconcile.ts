/**
 * The reconciliation decision: compare the latest entity states with a sink's
 * ledger and say what the real-time path missed. Pure; the sink reads both sides
 * and acts on the answer.
 */
export interface LatestState {
  entityId: string;
  entityType: string;
  version: number;
  /**
   * The sink's real-time path has gone past it (its group committed a later
   * offset). One it has not reached yet is backlog, not missed. Default true.
   */
  consumed?: boolean;
}

/** Where the ledger says the sink stands with one entity. */
export interface LedgerPosition {
  lastVersion: number;
  outcome: string;
  /** The target's copy was read back and matched since the last write. */
  verified: boolean;
  /** The entity this one's write waits for (dependency_failed). */
  waitingOn: string | null;
}

export type RequeueReason = 'missed' | 'behind' | 'dependency_ready' | 'read_back';

export interface ReconcileInput {
  latest: Iterable<LatestState>;
  positions: ReadonlyMap<string, LedgerPosition>;
  entityTypes: readonly string[];
  /** Entities this sink has a record for in the target. */
  inTarget: ReadonlySet<string>;
  readBack: boolean;
  max: number;
}

const WRITTEN = new Set(['written', 'unchanged']);

/** What to re-queue, most urgent first, at most `max`. */
export function reconcilePlan(input: ReconcileInput): Array<{ entityId: string; reason: RequeueReason }> {
  const missed: Array<{ entityId: string; reason: RequeueReason }> = [];
  const ready: typeof missed = [];
  const readBack: typeof missed = [];
  for (const s of input.latest) {
    if (!input.entityTypes.includes(s.entityType)) continue;
    const p = input.positions.get(s.entityId);
    if (!p || p.lastVersion < s.version) {
      if (s.consumed !== false) missed.push({ entityId: s.entityId, reason: p ? 'behind' : 'missed' });
      continue;
    }
    if (p.outcome === 'dependency_failed' && p.waitingOn && input.inTarget.has(p.waitingOn)) { ready.push({ entityId: s.entityId, reason: 'dependency_ready' }); continue; }
    if (input.readBack && WRITTEN.has(p.outcome) && !p.verified) readBack.push({ entityId: s.entityId, reason: 'read_back' });
  }
  return [...missed, ...ready, ...readBack].slice(0, input.max);
}
