import { describe, expect, it } from 'vitest';
import { BUILT_IN_RULE_SETS, ruleSetFor } from './built-in.ts';
import { mapRecord, UnmappableRecord } from './rules.ts';
import type { RawRecord, WorldEvent } from '../types.ts';

const raw = (resourceType: string): RawRecord => ({
  recordId: 'r1', dataSourceId: 'ehr', sourceType: 'fhir_store', system: 'http://ehr/fhir', resourceType, externalId: 'x1',
  contentHash: 'h', payload: '', sourceVersion: '1', sourceLastUpdated: null, observedAt: 10, ingestedAt: 11,
});

function map(resource: Record<string, unknown>): WorldEvent {
  const rules = ruleSetFor(String(resource.resourceType));
  if (!rules) throw new Error('no rules');
  return mapRecord(raw(String(resource.resourceType)), resource, rules, { recordedAt: 12, eventId: () => 'ev' });
}
const attrs = (e: WorldEvent): Record<string, unknown> => Object.fromEntries(Object.entries(e.attributes).map(([k, v]) => [k, JSON.parse(v)]));

describe('built-in FHIR R4 rule sets', () => {
  it('maps each resource to its entity type', () => {
    const types = Object.fromEntries(BUILT_IN_RULE_SETS.map((r) => [r.resourceType, r.entityType]));
    expect(types).toMatchObject({
      Patient: 'Patient', Practitioner: 'Practitioner', Location: 'Location', Appointment: 'Appointment', Encounter: 'Encounter',
      MedicationRequest: 'MedicationOrder', Observation: 'LabResult', DiagnosticReport: 'LabResult', Coverage: 'InsurancePlan',
    });
    expect(new Set(BUILT_IN_RULE_SETS.map((r) => r.entityType)).size).toBeGreaterThanOrEqual(8);
  });

  it('Patient: official name first, mobile phone first, transforms, identifiers, rule version', () => {
    const e = map({
      resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: ' 42 ' }],
      name: [{ use: 'nickname', given: ['Jo'] }, { use: 'official', family: ' Smith ', given: ['Joanna', 'May'] }],
      birthDate: '1980-02-03', gender: 'FEMALE',
      telecom: [{ system: 'phone', use: 'home', value: '(555) 123-4567' }, { system: 'phone', use: 'mobile', value: '555.765.4321' }, { system: 'email', value: 'Jo@Example.org' }],
      address: [{ line: ['1 Main  St'], city: 'Boston', state: 'ma', postalCode: '02139' }],
    });
    expect(attrs(e)).toMatchObject({ 'name.family': 'Smith', 'name.given': ['Joanna', 'May'], phone: '+15557654321', email: 'jo@example.org', gender: 'female', 'address.line': ['1 Main St'], 'address.state': 'MA' });
    expect(e.identifiers).toEqual([{ system: 'urn:mrn', value: '42' }]);
    expect(e).toMatchObject({ entityType: 'Patient', confidence: 1, origin: 'ehr_sync', mappingVersion: 'fhir-r4-patient@2', causationId: 'r1' });
  });

  it('Practitioner: NPI and specialty', () => {
    const e = map({ resourceType: 'Practitioner', identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' }], name: [{ family: 'Osler', given: ['William'] }], qualification: [{ code: { coding: [{ display: 'Internal medicine' }] } }] });
    expect(attrs(e)).toMatchObject({ npi: '1234567893', specialty: 'Internal medicine', 'name.family': 'Osler' });
  });

  it('Appointment: type code, times in UTC, participants by kind', () => {
    const e = map({
      resourceType: 'Appointment', status: 'booked', appointmentType: { coding: [{ code: 'FOLLOWUP' }] }, start: '2024-05-01T09:30:00-04:00', minutesDuration: 30,
      participant: [{ actor: { reference: 'Practitioner/p9' } }, { actor: { reference: 'http://ehr/fhir/Patient/p1' } }, { actor: { reference: 'Location/l1' } }],
    });
    expect(attrs(e)).toMatchObject({ appointmentType: 'FOLLOWUP', start: '2024-05-01T13:30:00.000Z', minutesDuration: 30, patient: 'Patient/p1', practitioner: 'Practitioner/p9', location: 'Location/l1' });
  });

  it('Observation and DiagnosticReport both become LabResult with one vocabulary', () => {
    const o = map({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] }, subject: { reference: 'Patient/p1' }, valueQuantity: { value: 95, unit: 'mg/dL' }, effectiveDateTime: '2024-05-01' });
    const d = map({ resourceType: 'DiagnosticReport', status: 'final', code: { text: 'Basic metabolic panel' }, subject: { reference: 'Patient/p1' }, result: [{ reference: 'Observation/o1' }, { reference: 'Observation/o2' }] });
    expect(o.entityType).toBe('LabResult');
    expect(d.entityType).toBe('LabResult');
    expect(attrs(o)).toMatchObject({ kind: 'observation', code: '2345-7', display: 'Glucose', value: 95, unit: 'mg/dL', patient: 'Patient/p1', effective: '2024-05-01' });
    expect(attrs(d)).toMatchObject({ kind: 'report', display: 'Basic metabolic panel', results: ['Observation/o1', 'Observation/o2'] });
  });

  it('MedicationRequest becomes MedicationOrder; Coverage becomes InsurancePlan; Encounter and Location map', () => {
    expect(attrs(map({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', medicationCodeableConcept: { coding: [{ code: '197361', display: 'Amlodipine 5 MG' }] }, subject: { reference: 'Patient/p1' } })))
      .toMatchObject({ 'medication.code': '197361', 'medication.display': 'Amlodipine 5 MG', patient: 'Patient/p1' });
    const cov = map({ resourceType: 'Coverage', status: 'active', subscriberId: 'S-1', beneficiary: { reference: 'Patient/p1' }, payor: [{ display: 'Acme Health' }], class: [{ type: { coding: [{ code: 'plan' }] }, value: 'GOLD', name: 'Gold PPO' }] });
    expect(cov.entityType).toBe('InsurancePlan');
    expect(attrs(cov)).toMatchObject({ payor: 'Acme Health', plan: 'GOLD', planName: 'Gold PPO', subscriberId: 'S-1', patient: 'Patient/p1' });
    expect(attrs(map({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' }, period: { start: '2024-05-01T10:00:00Z' } })))
      .toMatchObject({ class: 'AMB', patient: 'Patient/p1', start: '2024-05-01T10:00:00.000Z' });
    expect(attrs(map({ resourceType: 'Location', name: 'North Clinic', address: { postalCode: '02139' } }))).toMatchObject({ name: 'North Clinic', 'address.postalCode': '02139' });
  });

  it('refuses a record with nothing to map, with the reason', () => {
    expect(() => map({ resourceType: 'Patient' })).toThrow(UnmappableRecord);
    expect(() => mapRecord(raw('Patient'), [1, 2], ruleSetFor('Patient')!, { recordedAt: 1, eventId: () => 'e' })).toThrow(/not a JSON object/);
    expect(ruleSetFor('Basic')).toBeUndefined();
  });
});
