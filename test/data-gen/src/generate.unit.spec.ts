import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv, readTruth, toCsv, writeDataset } from './files.ts';
import { generate, truePairs } from './generate.ts';
import { pairScores } from './score.ts';

const data = generate({ records: 4000, seed: 5 });
const dir = mkdtempSync(join(tmpdir(), 'data-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('synthetic patients with ground truth', () => {
  it('is deterministic for a seed and different for another', () => {
    expect(generate({ records: 300, seed: 5 }).records).toEqual(generate({ records: 300, seed: 5 }).records);
    expect(generate({ records: 300, seed: 6 }).records).not.toEqual(generate({ records: 300, seed: 5 }).records);
  });

  it('duplicates people across the three sources, most of them more than once', () => {
    expect(data.records).toHaveLength(4000);
    expect(Object.keys(data.counts).sort()).toEqual(['crm', 'ehr-a', 'ehr-b']);
    const perPerson = new Map<string, number>();
    for (const r of data.records) perPerson.set(r.personId, (perPerson.get(r.personId) ?? 0) + 1);
    const multi = [...perPerson.values()].filter((n) => n > 1).length;
    expect(multi / perPerson.size).toBeGreaterThan(0.5);
    expect(truePairs(data.records)).toBeGreaterThan(2000);
  });

  it('corrupts records the way real registers are corrupted', () => {
    const fhir = data.records.filter((r) => r.resourceType === 'Patient').map((r) => r.payload as { name: { given: string[] }[]; birthDate?: string; telecom?: { value: string }[] });
    const csv = data.records.filter((r) => r.resourceType === 'PatientRow').map((r) => r.payload as Record<string, string>);
    expect(csv.some((r) => /^[A-Z]\.$/.test(r.first_name!))).toBe(true); // initials
    expect(fhir.some((p) => !p.birthDate)).toBe(true); // missing fields
    const formats = new Set(csv.map((r) => r.phone!.replace(/\d/g, '9')).filter(Boolean));
    expect(formats.size).toBeGreaterThanOrEqual(4); // mixed phone formats
    // Twins: same surname, birth date, address and phone, different first names.
    const twins = [...data.people.values()].filter((p) => p.lookalike === 'twin');
    expect(twins.length).toBeGreaterThan(10);
    const pair = twins.find((t) => twins.some((u) => u !== t && u.householdId === t.householdId));
    const other = twins.find((u) => u !== pair && u.householdId === pair!.householdId)!;
    expect([other.last, other.dob, other.street, other.phone]).toEqual([pair!.last, pair!.dob, pair!.street, pair!.phone]);
    expect(other.first).not.toBe(pair!.first);
  });

  it('writes the sources\' files and the truth beside them', () => {
    const files = writeDataset(dir, data, { seed: 5 });
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['crm.PatientRow.csv', 'ehr-a.Patient.ndjson', 'ehr-b.Patient.ndjson', 'manifest.json', 'truth.csv']);
    const truth = readTruth(dir);
    expect(truth.size).toBe(4000);
    const first = data.records[0]!;
    expect(truth.get(`${first.dataSourceId}/${first.resourceType}/${first.externalId}`)).toBe(first.personId);
    const rows = parseCsv(readFileSync(join(dir, 'crm.PatientRow.csv'), 'utf8'));
    expect(rows).toEqual(data.records.filter((r) => r.dataSourceId === 'crm').map((r) => r.payload));
    expect(parseCsv(toCsv([{ a: 'x,"y"', b: 'line\nbreak' }]))).toEqual([{ a: 'x,"y"', b: 'line\nbreak' }]);
  });

  it('scores a clustering pairwise', () => {
    const items = [{ personId: 'p1', entityId: 'e1' }, { personId: 'p1', entityId: 'e1' }, { personId: 'p1', entityId: 'e2' }, { personId: 'p2', entityId: 'e2' }];
    const s = pairScores(items);
    expect(s).toMatchObject({ truePairs: 3, predictedPairs: 2, correctPairs: 1, precision: 0.5 });
    expect(s.recall).toBeCloseTo(1 / 3);
  });
});
