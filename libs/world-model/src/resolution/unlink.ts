import { pairKey } from './decide.ts';

/** A member of an entity and the order in which it joined. */
export interface MemberRef {
  sourceKey: string;
  seq: number;
}

export interface UnlinkSide {
  entityId: string;
  /** Source keys, in the order they joined. */
  members: string[];
}

export type UnlinkPlan =
  | { kind: 'split'; sides: [UnlinkSide, UnlinkSide]; cannotLink: string[] }
  | { kind: 'noop'; reason: string };

/**
 * An operator's unlink: the named members leave the entity and become an
 * entity of their own; the entity keeps its id with the records that stay (the
 * id sinks and agents already know). The leaving side's id derives from its
 * earliest record, as if it had never been linked, unless that record founded
 * the entity: then from the record and the entity it left. Every pair across
 * the two sides becomes a cannot-link. Pure.
 */
export function planUnlink(
  entityId: string, members: readonly MemberRef[], split: readonly string[],
  idFor: (sourceKey: string) => string, splitIdFor: (sourceKey: string, from: string) => string,
): UnlinkPlan {
  const wanted = new Set(split);
  const ordered = [...members].sort((a, b) => a.seq - b.seq || a.sourceKey.localeCompare(b.sourceKey));
  const leaving = ordered.filter((m) => wanted.has(m.sourceKey)).map((m) => m.sourceKey);
  const staying = ordered.filter((m) => !wanted.has(m.sourceKey)).map((m) => m.sourceKey);
  if (leaving.length === 0) return { kind: 'noop', reason: `none of the ${split.length} named records belongs to ${entityId}` };
  if (staying.length === 0) return { kind: 'noop', reason: `unlinking every record of ${entityId} would leave nothing behind` };
  const first = leaving[0]!;
  const own = idFor(first);
  const cannotLink = staying.flatMap((a) => leaving.map((b) => pairKey(a, b)));
  return {
    kind: 'split',
    sides: [{ entityId, members: staying }, { entityId: own === entityId ? splitIdFor(first, entityId) : own, members: leaving }],
    cannotLink,
  };
}
