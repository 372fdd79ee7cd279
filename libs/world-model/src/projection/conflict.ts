import type { FieldValue } from '../types.ts';

/**
 * Orders two candidate values of one field: positive when `a` wins.
 * The highest confidence wins; among equal confidences the later observation
 * wins, so a stale read never overrides a newer value of equal or higher
 * confidence; a full tie goes to the larger event id. A total order, so the
 * winner is the same whatever order the events arrive in (replays included).
 */
export function compareCandidates(a: FieldValue, b: FieldValue): number {
  if (a.confidence !== b.confidence) return a.confidence - b.confidence;
  if (a.observedAt !== b.observedAt) return a.observedAt - b.observedAt;
  return a.eventId === b.eventId ? 0 : a.eventId > b.eventId ? 1 : -1;
}

/** Does `candidate` win over `current` for one field? */
export function wins(candidate: FieldValue, current: FieldValue | undefined): boolean {
  return !current || compareCandidates(candidate, current) > 0;
}

/** Why `loser` lost to `winner`, in words a reviewer reads. */
export function lossReason(loser: FieldValue, winner: FieldValue): 'lower confidence' | 'older observation' | 'tie broken by event id' {
  if (loser.confidence !== winner.confidence) return 'lower confidence';
  if (loser.observedAt !== winner.observedAt) return 'older observation';
  return 'tie broken by event id';
}
