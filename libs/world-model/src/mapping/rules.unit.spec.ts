import { describe, expect, it } from 'vitest';
import { FHIR_R4_PATIENT } from './fhir-r4.ts';
import { mapRecord, UnmappableRecord } from './rules.ts';
import { extractAll } from './dot-path.ts';
import type { RawRecord } from '../types.ts';

const raw: RawRecord = {
  recordId: 'r1', dataSourceId: 'ehr', sourceType: 'fhir_store', system: 'http://ehr', resourceType: 'Patient', externalId: 'p1',
  contentHash: 'h', payload: '', sourceVersion: '1', sourceLastUpdated: null, observedAt: 10, ingestedAt: 11,
};
const ctx = { recordedAt: 12, eventId: () => 'ev1' };

describe('mapping rules', () => {
  it('extracts with array filters and indexes', () => {
    const p = { telecom: [{ system: 'email', value: 'a@b' }, { system: 'phone', value: '555' }], name: [{ given: ['A', 'B'] }] };
    expect(extractAll(p, 'telecom[system=phone].value')).toEqual(['555']);
    expect(extractAll(p, 'name[0].given')).toEqual(['A', 'B']);
    expect(extractAll(p, 'missing.path')).toEqual([]);
  });

  it('maps a FHIR Patient with transforms and identifiers', () => {
    const patient = {
      resourceType: 'Patient', id: 'p1', identifier: [{ system: 'urn:mrn', value: ' 42 ' }],
      name: [{ family: ' Smith ', given: ['Jo'] }], birthDate: '1980-02-03', gender: 'FEMALE',
      telecom: [{ system: 'phone', value: '(555) 123-4567' }, { system: 'email', value: 'Jo@Example.org' }],
    };
    const e = mapRecord(raw, patient, FHIR_R4_PATIENT, ctx);
    expect(e.attributes['name.family']).toBe('"Smith"');
    expect(e.attributes.phone).toBe('"+15551234567"');
    expect(e.attributes.email).toBe('"jo@example.org"');
    expect(e.attributes.gender).toBe('"female"');
    expect(e.identifiers).toEqual([{ system: 'urn:mrn', value: '42' }]);
    expect(e).toMatchObject({ entityType: 'Patient', confidence: 1, origin: 'ehr_sync', mappingVersion: 'fhir-r4-patient@2', causationId: 'r1' });
  });

  it('refuses a record with nothing to map, with the reason', () => {
    expect(() => mapRecord(raw, { resourceType: 'Patient' }, FHIR_R4_PATIENT, ctx)).toThrow(UnmappableRecord);
    expect(() => mapRecord(raw, [1, 2], FHIR_R4_PATIENT, ctx)).toThrow(/not a JSON object/);
  });
});
