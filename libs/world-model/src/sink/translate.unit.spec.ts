import { describe, expect, it } from 'vitest';
import { codeFromTable, missingRequired, translate } from './translate.ts';
import { defaultMappings, INSURANCE_CARRIER_CODES } from './default-mappings.ts';
import { withPaths } from './write-path.ts';
import type { FieldValue } from '../types.ts';

const v = (value: unknown): FieldValue => ({ valueJson: JSON.stringify(value), eventId: 'e', dataSourceId: 'ehr-a', origin: 'ehr_sync', confidence: 1, observedAt: 1, verified: true });
const fhir = defaultMappings('fhir_store');
const crm = defaultMappings('crm');

describe('deterministic mapper', () => {
  it('given projected Patient fields, when translated for FHIR, then a valid R4 Patient results', () => {
    const t = translate({ mapping: fhir.Patient!, fields: { 'name.family': v('Lovelace'), 'name.given': v('Ada'), birthDate: v('1815-12-10'), phone: v('+15550100') }, references: {}, codes: {} });
    expect(withPaths({ resourceType: 'Patient' }, t.entries)).toEqual({
      resourceType: 'Patient', name: [{ family: 'Lovelace', given: ['Ada'] }], birthDate: '1815-12-10', telecom: [{ system: 'phone', value: '+15550100' }],
    });
    expect(missingRequired(fhir.Patient!, t.written)).toEqual([]);
  });

  it('given the same Patient, when translated for a CRM, then a contact with joined given names results', () => {
    const t = translate({ mapping: crm.Patient!, fields: { 'name.family': v('Hopper'), 'name.given': v(['Grace', 'Brewster']), email: v('g@h.io') }, references: {}, codes: {} });
    expect(withPaths({}, t.entries)).toEqual({ properties: { lastname: 'Hopper', firstname: 'Grace Brewster', email: 'g@h.io' } });
  });

  it('given an Appointment whose Patient is in the target, when translated, then it references that record', () => {
    const t = translate({ mapping: fhir.Appointment!, fields: { status: v('booked'), patientId: v('ent-p1') }, references: { patientId: 'Patient/42' }, codes: {} });
    expect(withPaths({ resourceType: 'Appointment' }, t.entries)).toEqual({ resourceType: 'Appointment', status: 'booked', participant: [{ actor: { reference: 'Patient/42' }, status: 'accepted' }] });
  });

  it('given an unresolved reference, when translated, then the field is skipped with the reason and counts as missing', () => {
    const t = translate({ mapping: fhir.Appointment!, fields: { status: v('booked'), patientId: v('ent-p1') }, references: {}, codes: {} });
    expect(t.skipped).toEqual({ patientId: 'reference to Patient not resolved' });
    expect(missingRequired(fhir.Appointment!, t.written)).toEqual(['patientId']);
  });

  it('given a carrier description, when no LLM answers, then the table maps common cases by whole words', () => {
    expect(codeFromTable('Blue Cross Blue Shield of Texas (PPO)', INSURANCE_CARRIER_CODES)).toBe('BCBS');
    expect(codeFromTable('my insurance is AETNA', INSURANCE_CARRIER_CODES)).toBe('AETNA');
    expect(codeFromTable('Acme Mutual', INSURANCE_CARRIER_CODES)).toBeUndefined();
  });

  it('given an LLM code, when translated, then it is written; without it and no table entry the field is left out', () => {
    const fields = { 'insurance.carrier': v('united health care choice plus') };
    const withLlm = translate({ mapping: fhir.Patient!, fields, references: {}, codes: { 'insurance.carrier': 'UHC' } });
    const without = translate({ mapping: fhir.Patient!, fields, references: {}, codes: {} });
    expect(withLlm.entries).toContainEqual(['extension[url=urn:connector-runner:insurance-carrier].valueCode', 'UHC']);
    expect(without.skipped).toEqual({ 'insurance.carrier': 'no code for this text' });
  });
});
