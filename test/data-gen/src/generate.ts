import { DEFAULT_RATES, type CorruptionRates } from './corrupt.ts';
import { people, type HouseholdOptions, type Person } from './people.ts';
import { createRng } from './random.ts';
import { crmRow, corruptedView, fhirPatient, type FhirSource, type SourceRecord } from './sources.ts';

export interface GenerateOptions {
  /** Source records to make (the people follow from it). */
  records: number;
  seed?: number;
  rates?: Partial<CorruptionRates>;
  household?: Partial<HouseholdOptions>;
  /** Chance that a person has a second record in one source (a source's own duplicate). Default 0: duplicates across sources only. */
  withinSourceDuplicateRate?: number;
}

export interface Dataset {
  records: SourceRecord[];
  people: Map<string, Person>;
  /** Records per source. */
  counts: Record<string, number>;
}

export const SOURCES = {
  ehrA: { id: 'ehr-a', system: 'http://ehr-a.example/fhir/R4', mrnSystem: 'urn:oid:2.16.840.1.113883.3.1001' } satisfies FhirSource,
  ehrB: { id: 'ehr-b', system: 'http://ehr-b.example/fhir/R4', mrnSystem: 'urn:oid:2.16.840.1.113883.3.2002', upperCaseNames: true } satisfies FhirSource,
  crm: { id: 'crm', system: 'crm-export' },
} as const;

const SOURCE_IDS = [SOURCES.ehrA.id, SOURCES.ehrB.id, SOURCES.crm.id];

/**
 * Patients duplicated across two EHRs (FHIR Patient) and a CRM export (CSV rows),
 * each record a corrupted view of one person, in a shuffled arrival order.
 * Deterministic for a seed. Every record carries its person id: the ground truth.
 */
export function generate(options: GenerateOptions): Dataset {
  const rng = createRng(options.seed ?? 1);
  const rates = { ...DEFAULT_RATES, ...options.rates };
  const dupRate = options.withinSourceDuplicateRate ?? 0;
  const records: SourceRecord[] = [];
  const byId = new Map<string, Person>();
  const serial: Record<string, number> = {};
  const next = (source: string): number => (serial[source] = (serial[source] ?? 0) + 1);
  const source = people(rng, { twinRate: 0.08, juniorRate: 0.05, ...options.household });

  while (records.length < options.records) {
    const p = source.next().value as Person;
    byId.set(p.personId, p);
    const appearances = rng.pickSkewed([2, 1, 3], 0.4);
    const chosen = [...SOURCE_IDS].sort(() => rng.next() - 0.5).slice(0, appearances);
    if (rng.chance(dupRate)) chosen.push(rng.pick(chosen));
    for (const sourceId of chosen) {
      if (records.length >= options.records) break;
      const n = next(sourceId);
      const view = corruptedView(rng, p, rates);
      if (sourceId === SOURCES.crm.id) {
        const externalId = `C${String(n).padStart(7, '0')}`;
        records.push({ dataSourceId: sourceId, sourceType: 'file_drop', system: SOURCES.crm.system, resourceType: 'PatientRow', externalId, payload: crmRow(rng, externalId, view), personId: p.personId });
      } else {
        const fhir = sourceId === SOURCES.ehrA.id ? SOURCES.ehrA : SOURCES.ehrB;
        const externalId = `${sourceId === SOURCES.ehrA.id ? 'a' : 'b'}${n}`;
        const mrn = `${sourceId === SOURCES.ehrA.id ? 'MRN' : 'B'}${String(100000 + n * 7).padStart(8, '0')}`;
        records.push({ dataSourceId: sourceId, sourceType: 'fhir_store', system: fhir.system, resourceType: 'Patient', externalId, payload: fhirPatient(rng, fhir, externalId, mrn, view), personId: p.personId });
      }
    }
  }
  // Sources deliver in parallel: interleave them (Fisher-Yates with the seeded generator).
  for (let i = records.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [records[i], records[j]] = [records[j]!, records[i]!];
  }
  const counts: Record<string, number> = {};
  for (const r of records) counts[r.dataSourceId] = (counts[r.dataSourceId] ?? 0) + 1;
  return { records, people: byId, counts };
}

/** Pairs of records that describe the same person, per the ground truth. */
export function truePairs(records: readonly Pick<SourceRecord, 'personId'>[]): number {
  const sizes = new Map<string, number>();
  for (const r of records) sizes.set(r.personId, (sizes.get(r.personId) ?? 0) + 1);
  let pairs = 0;
  for (const n of sizes.values()) pairs += (n * (n - 1)) / 2;
  return pairs;
}
