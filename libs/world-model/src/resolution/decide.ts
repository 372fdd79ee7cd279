import type { Resolution } from '../types.ts';
import { comparePair, type PairComparison } from './compare.ts';
import type { MatchRecord } from './profile.ts';

/** An entity that shares at least one index key with the record. */
export interface CandidateEntity {
  entityId: string;
  /** Order of creation: the oldest entity survives a merge. */
  createdSeq: number;
  members: readonly MatchRecord[];
}

export interface DecideOptions {
  /** Match probability at or above which the fuzzy tier links. */
  linkProbability: number;
  /** log2 prior odds that two records sharing a blocking key are the same entity. */
  priorLog2: number;
  /** The runner-up must be at least this far below the best (log2) or the record is ambiguous. */
  ambiguityMargin: number;
  /** Pairs of source keys (`pairKey`) an operator has said must never be one entity. */
  cannotLink: ReadonlySet<string>;
}

/**
 * Defaults: link at a match probability of 0.995 or more. The prior (1 in 64)
 * is about the share of same-person pairs among record pairs that share a
 * blocking key, as measured on the generated data (test/data-gen).
 */
export const DEFAULT_DECIDE: Omit<DecideOptions, 'cannotLink'> = { linkProbability: 0.995, priorLog2: -6, ambiguityMargin: 4 };

export type Decision =
  | { kind: 'new'; resolution: Resolution }
  | { kind: 'link'; entityId: string; resolution: Resolution }
  /** The record ties several entities together by exact identifiers: they become one (`entityId` survives). */
  | { kind: 'merge'; entityId: string; absorbed: string[]; resolution: Resolution };

/** The key of an unordered pair of source keys in `cannotLink`. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

/** Match probability from fuzzy evidence and the prior. */
export function matchProbability(weight: number, priorLog2: number): number {
  if (weight === Infinity) return 1;
  if (weight === -Infinity) return 0;
  return 1 / (1 + 2 ** -(weight + priorLog2));
}

interface Scored {
  entity: CandidateEntity;
  conflict: string | undefined;
  tier1: { rule: string; comparison: PairComparison } | undefined;
  best: PairComparison | undefined;
}

function score(record: MatchRecord, entity: CandidateEntity, cannotLink: ReadonlySet<string>): Scored {
  let conflict: string | undefined;
  let tier1: Scored['tier1'];
  let best: PairComparison | undefined;
  for (const member of entity.members) {
    const c = comparePair(record, member);
    if (c.tier1[0] === 'same-source-record') return { entity, conflict: undefined, tier1: { rule: 'same-source-record', comparison: c }, best: c };
    if (cannotLink.size && cannotLink.has(pairKey(record.sourceKey, member.sourceKey))) conflict ??= 'operator-unlink';
    conflict ??= c.conflict;
    if (c.tier1.length && !tier1) tier1 = { rule: c.tier1[0]!, comparison: c };
    if (!best || c.weight > best.weight) best = c;
  }
  return { entity, conflict, tier1, best };
}

const byAge = (a: Scored, b: Scored): number => a.entity.createdSeq - b.entity.createdSeq || a.entity.entityId.localeCompare(b.entity.entityId);

/**
 * Tier 1 (deterministic), then tier 2 (fuzzy) only when tier 1 finds nothing.
 * A hard conflict (same source, different identifier of one system, an
 * operator's unlink) rules a candidate out in both tiers. Pure.
 */
export function decide(record: MatchRecord, candidates: readonly CandidateEntity[], options: DecideOptions): Decision {
  const scored = candidates.filter((c) => c.members.length && c.members[0]!.entityType === record.entityType).map((c) => score(record, c, options.cannotLink));
  const same = scored.find((s) => s.tier1?.rule === 'same-source-record');
  if (same) return { kind: 'link', entityId: same.entity.entityId, resolution: { tier: 1, rule: 'same-source-record', score: 1, features: ['source-record'] } };

  const tier1 = scored.filter((s) => s.tier1 && !s.conflict).sort(byAge);
  if (tier1.length) {
    const survivor = tier1[0]!;
    const resolution: Resolution = { tier: 1, rule: survivor.tier1!.rule, score: 1, features: survivor.tier1!.comparison.features };
    const absorbed = tier1.slice(1).filter((other) => mergeable(survivor.entity, other.entity, options.cannotLink)).map((s) => s.entity.entityId);
    if (absorbed.length) return { kind: 'merge', entityId: survivor.entity.entityId, absorbed, resolution };
    return { kind: 'link', entityId: survivor.entity.entityId, resolution };
  }

  const threshold = options.linkProbability;
  const fuzzy = scored
    .filter((s) => !s.conflict && s.best && matchProbability(s.best.weight, options.priorLog2) >= threshold)
    .sort((a, b) => b.best!.weight - a.best!.weight || byAge(a, b));
  const top = fuzzy[0];
  if (!top) return { kind: 'new', resolution: { tier: 0, rule: 'new-entity', score: 1, features: [] } };
  const runnerUp = fuzzy[1];
  if (runnerUp && top.best!.weight - runnerUp.best!.weight < options.ambiguityMargin) {
    return { kind: 'new', resolution: { tier: 0, rule: 'new-entity', score: 1, features: [`ambiguous:${fuzzy.length}`] } };
  }
  const p = matchProbability(top.best!.weight, options.priorLog2);
  return { kind: 'link', entityId: top.entity.entityId, resolution: { tier: 2, rule: 'fuzzy', score: Math.round(p * 1e6) / 1e6, features: top.best!.features } };
}

/** Two entities may merge when no member of one conflicts with a member of the other. */
export function mergeable(a: CandidateEntity, b: CandidateEntity, cannotLink: ReadonlySet<string>): boolean {
  for (const x of a.members) {
    for (const y of b.members) {
      if (cannotLink.size && cannotLink.has(pairKey(x.sourceKey, y.sourceKey))) return false;
      const c = comparePair(x, y);
      const person = x.entityType === 'Patient' || x.entityType === 'Practitioner';
      if (c.conflict || (person && c.weight === -Infinity)) return false;
    }
  }
  return true;
}
