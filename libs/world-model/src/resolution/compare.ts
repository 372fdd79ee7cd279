import { isKnownGivenName, nicknameMatch, nicknameOfTypo } from './names.ts';
import { swapDayMonth } from './normalise.ts';
import type { MatchRecord } from './profile.ts';
import { isTypo } from './similarity.ts';

/** How two values of one feature relate. */
export type Agreement = 'exact' | 'nickname' | 'initial' | 'typo' | 'partial' | 'swapped' | 'last7' | 'transposed' | 'different' | 'missing';

/**
 * Evidence weights of the fuzzy tier, as log2 likelihood ratios (Fellegi-Sunter):
 * how much more often a value relation is seen between records of the same
 * person than between records of different people who share a blocking key.
 */
export const PATIENT_WEIGHTS = {
  first: { exact: 5, nickname: 4, initial: 1.5, typo: 3, transposed: 4, different: -9, missing: 0 },
  last: { exact: 5, partial: 3.5, typo: 3, transposed: 4, different: -6, missing: 0 },
  dob: { exact: 8, swapped: 5, typo: 3, different: -12, missing: 0 },
  phone: { exact: 4, last7: 3, different: -1, missing: 0 },
  email: { exact: 5, different: -0.5, missing: 0 },
  zip: { exact: 1.5, different: -1, missing: 0 },
  gender: { exact: 0.5, different: -4, missing: 0 },
  specialty: { exact: 4, different: -3, missing: 0 },
} as const;

export interface PairComparison {
  /** A hard reason the two records cannot be one entity (same source, conflicting identifiers). */
  conflict: string | undefined;
  /** Deterministic rules satisfied, strongest first (empty: none). */
  tier1: string[];
  /** The fuzzy tier's evidence, log2 likelihood ratio; -Infinity when the fuzzy tier must not link. */
  weight: number;
  /** What agreed and how, e.g. `first:nickname`, `dob:swapped`: recorded with every link. */
  features: string[];
}

const TIER1_ORDER = ['same-source-record', 'exact-identifier', 'exact-npi', 'name-dob', 'name-specialty', 'name-zip', 'phone+name', 'email+name'];

export function firstNames(a: string | undefined, b: string | undefined): Agreement {
  if (!a || !b) return 'missing';
  if (a === b) return 'exact';
  if (a.length === 1 || b.length === 1) return a[0] === b[0] ? 'initial' : 'different';
  if (nicknameMatch(a, b)) return 'nickname';
  // Two different real names ("emma", "ella") are two people, not a typo.
  if (isKnownGivenName(a) && isKnownGivenName(b)) return 'different';
  if (isTypo(a, b)) return 'typo';
  // A mistyped name and a nickname of it ("robret", "bob"): as good as a typo.
  if (nicknameOfTypo(a, b, isTypo) || nicknameOfTypo(b, a, isTypo)) return 'typo';
  return 'different';
}

export function lastNames(a: MatchRecord, b: MatchRecord): Agreement {
  if (!a.last || !b.last) return 'missing';
  if (a.last === b.last) return 'exact';
  const ta = a.lastTokens ?? [a.last];
  const tb = b.lastTokens ?? [b.last];
  if ((ta.length > 1 || tb.length > 1) && ta.some((t) => t.length > 2 && tb.includes(t))) return 'partial';
  if (isTypo(a.last, b.last)) return 'typo';
  return 'different';
}

export function birthDates(a: string | undefined, b: string | undefined): Agreement {
  if (!a || !b) return 'missing';
  if (a === b) return 'exact';
  if (swapDayMonth(a) === b) return 'swapped';
  // One mistyped component (the other two equal), or one digit off in a component.
  const pa = a.split('-');
  const pb = b.split('-');
  const differing = [0, 1, 2].filter((i) => pa[i] !== pb[i]);
  if (differing.length === 1) {
    const i = differing[0]!;
    const x = pa[i]!;
    const y = pb[i]!;
    const digitsOff = [...x].filter((c, k) => c !== y[k]).length;
    if (x.length === y.length && (digitsOff === 1 || (x.length === 2 && x[0] === y[1] && x[1] === y[0]))) return 'typo';
  }
  return 'different';
}

function phones(a: string | undefined, b: string | undefined): Agreement {
  if (!a || !b) return 'missing';
  if (a === b) return 'exact';
  return a.slice(-7) === b.slice(-7) ? 'last7' : 'different';
}

function same(a: string | undefined, b: string | undefined): Agreement {
  if (!a || !b) return 'missing';
  return a === b ? 'exact' : 'different';
}

/**
 * Identifier systems both records have, with no value in common: two different
 * records of that system (two MRNs of one EHR) are never linked automatically,
 * however alike; a source's own duplicates are a matter for review. Records
 * without identifiers (a CSV export) carry no such evidence either way.
 */
function identifierConflict(a: MatchRecord, b: MatchRecord): string | undefined {
  if (!a.ids.length || !b.ids.length) return undefined;
  const bySystem = (ids: string[]): Map<string, Set<string>> => {
    const m = new Map<string, Set<string>>();
    for (const id of ids) {
      const i = id.lastIndexOf('|');
      const system = id.slice(0, i);
      m.set(system, (m.get(system) ?? new Set()).add(id.slice(i + 1)));
    }
    return m;
  };
  const sa = bySystem(a.ids);
  const sb = bySystem(b.ids);
  for (const [system, values] of sa) {
    const other = sb.get(system);
    if (other && ![...values].some((v) => other.has(v))) return `identifier:${system}`;
  }
  return undefined;
}

/** Compares two records of one entity type: conflicts, deterministic rules, fuzzy evidence. */
export function comparePair(a: MatchRecord, b: MatchRecord): PairComparison {
  const tier1: string[] = [];
  if (a.sourceKey === b.sourceKey || a.recordKey === b.recordKey) {
    return { conflict: undefined, tier1: ['same-source-record'], weight: Infinity, features: ['source-record'] };
  }
  const conflict = identifierConflict(a, b);
  const sharedId = a.ids.find((id) => b.ids.includes(id));
  if (sharedId) tier1.push('exact-identifier');
  if (a.npi && a.npi === b.npi) tier1.push('exact-npi');
  const features: string[] = [];
  if (sharedId) features.push(`id:${sharedId.slice(0, sharedId.lastIndexOf('|'))}`);

  if (a.entityType !== 'Patient' && a.entityType !== 'Practitioner') {
    if (a.name && a.name === b.name && a.zip && a.zip === b.zip) { tier1.push('name-zip'); features.push('name:exact', 'zip:exact'); }
    return { conflict, tier1: order(tier1), weight: -Infinity, features };
  }

  const W = PATIENT_WEIGHTS;
  let first = firstNames(a.first, b.first);
  let last = lastNames(a, b);
  if (first === 'different' || last === 'different') {
    // First and last name exchanged between the two records.
    const f = firstNames(a.first, b.last);
    const l = firstNames(a.last, b.first);
    const close = (x: Agreement): boolean => x === 'exact' || x === 'typo' || x === 'nickname';
    if (close(f) && close(l) && (f === 'exact' || l === 'exact')) first = last = 'transposed';
  }
  const dob = birthDates(a.dob, b.dob);
  const phone = phones(a.phone, b.phone);
  const email = same(a.email, b.email);
  const zip = same(a.zip, b.zip);
  const gender = same(a.gender, b.gender);
  const specialty = same(a.specialty, b.specialty);
  const add = (name: string, value: Agreement, weights: Partial<Record<Agreement, number>>): number => {
    if (value !== 'missing') features.push(`${name}:${value}`);
    return weights[value] ?? 0;
  };
  let weight = add('first', first, W.first) + add('last', last, W.last) + add('phone', phone, W.phone)
    + add('email', email, W.email) + add('zip', zip, W.zip) + add('gender', gender, W.gender);
  weight += a.entityType === 'Patient' ? add('dob', dob, W.dob) : add('specialty', specialty, W.specialty);

  const firstOk = first === 'exact' || first === 'nickname';
  if (a.entityType === 'Patient') {
    if (first === 'exact' && last === 'exact' && dob === 'exact') tier1.push('name-dob');
    // A shared phone or email is a household, not a person: the name and birth date must agree
    // too (a father and his namesake son share both phone and name).
    if (phone === 'exact' && firstOk && last === 'exact' && dob === 'exact' && gender !== 'different') tier1.push('phone+name');
    if (email === 'exact' && firstOk && last === 'exact' && dob === 'exact' && gender !== 'different') tier1.push('email+name');
  } else if (firstOk && last === 'exact' && specialty === 'exact') {
    tier1.push('name-specialty');
  }
  // The fuzzy tier never links two clearly different first names (twins, siblings), nor without a
  // name agreeing; an initial alone is the one thing that tells twins apart, so it needs the exact birth date.
  if (first === 'different' || (first === 'missing' && last === 'missing')) weight = -Infinity;
  if (first === 'initial' && dob !== 'exact' && a.entityType === 'Patient') weight = -Infinity;
  return { conflict, tier1: order(tier1), weight, features };
}

function order(rules: string[]): string[] {
  return [...new Set(rules)].sort((x, y) => TIER1_ORDER.indexOf(x) - TIER1_ORDER.indexOf(y));
}
