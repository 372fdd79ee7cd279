import { describe, expect, it } from 'vitest';
import { dependenciesOf, dependencyCheck, ownTargetId } from './dependencies.ts';
import { defaultMappings } from './default-mappings.ts';
import { initialState } from '../projection/evolve.ts';
import type { EntityState, FieldValue } from '../types.ts';

const v = (value: unknown, over: Partial<FieldValue> = {}): FieldValue => ({ valueJson: JSON.stringify(value), eventId: 'e', dataSourceId: 'ehr-a', origin: 'ehr_sync', confidence: 1, observedAt: 1, verified: true, ...over });
const fhir = defaultMappings('fhir_store');
const patient = (fields: Record<string, FieldValue>): EntityState => ({ ...initialState('ent-p1', 'Patient'), fields });

describe('confidence-aware dependencies', () => {
  it('given an Appointment, when its references are listed, then the Patient is a required dependency', () => {
    expect(dependenciesOf(fhir.Appointment!, { status: v('booked'), patientId: v('ent-p1'), practitionerId: v('ent-d1') })).toEqual([
      { field: 'patientId', entityType: 'Patient', ref: 'ent-p1', required: true },
      { field: 'practitionerId', entityType: 'Practitioner', ref: 'ent-d1', required: false },
    ]);
  });

  it('given a Patient with verified identifying fields, when checked, then it can be depended on', () => {
    expect(dependencyCheck(patient({ 'name.family': v('L'), birthDate: v('1815-12-10') }), fhir.Patient, 0.9)).toEqual({ ok: true });
  });

  it('given a Patient whose birth date came by voice unreviewed, when checked, then the dependency fails (not pending)', () => {
    const r = dependencyCheck(patient({ 'name.family': v('L'), birthDate: v('1815-12-10', { origin: 'voice', confidence: 0.5, verified: false }) }), fhir.Patient, 0.9);
    expect(r).toEqual({ ok: false, reason: 'Patient ent-p1 birthDate confidence 0.5 below threshold 0.9' });
  });

  it('given an unknown or deleted Patient, when checked, then the dependency fails', () => {
    expect(dependencyCheck(undefined, fhir.Patient, 0.9)).toMatchObject({ ok: false, reason: 'not known to this sink' });
    expect(dependencyCheck({ ...patient({ 'name.family': v('L'), birthDate: v('x') }), deleted: true }, fhir.Patient, 0.9)).toMatchObject({ ok: false });
  });

  it('given an entity read from the sink\'s own system, when asked, then its record id there is known', () => {
    const s = { ...patient({}), sourceRefs: [{ dataSourceId: 'ehr-b-reader', system: 'b', resourceType: 'Patient', externalId: '77' }] };
    expect(ownTargetId(s, ['ehr-b-reader'], 'Patient')).toBe('77');
    expect(ownTargetId(s, ['other'], 'Patient')).toBeUndefined();
  });
});
