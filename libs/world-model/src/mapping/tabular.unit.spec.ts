import { describe, expect, it } from 'vitest';
import { FHIR_R4_APPOINTMENT } from './fhir-r4.ts';
import { mapRecord, UnmappableRecord } from './rules.ts';
import { TABULAR_APPOINTMENT, TABULAR_PATIENT } from './tabular.ts';
import type { RawRecord } from '../types.ts';

const raw = (resourceType: string): RawRecord => ({
  recordId: 'r', dataSourceId: 'crm', sourceType: 'file_drop', system: 'crm-drop', resourceType, externalId: '1',
  contentHash: 'h', payload: '', sourceVersion: null, sourceLastUpdated: null, observedAt: 1, ingestedAt: 2,
});
const ctx = { recordedAt: 3, eventId: () => 'e' };
const attrs = (a: Record<string, string>): Record<string, unknown> => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, JSON.parse(v)]));

describe('built-in rules for a CSV patient-and-appointment feed', () => {
  it('given a patient row with its own column names, then the attributes match the FHIR vocabulary', () => {
    const e = mapRecord(raw('PatientRow'), { patient_id: '1', first_name: ' Jon ', last_name: 'SMYTH', dob: '03/15/1982', sex: 'M', phone: '555.201.3344', email: 'JON@X.ORG', zip: '02139', street: '' }, TABULAR_PATIENT, ctx);
    expect(attrs(e.attributes)).toEqual({ 'name.given': ['Jon'], 'name.family': 'SMYTH', birthDate: '1982-03-15', gender: 'male', phone: '+15552013344', email: 'jon@x.org', 'address.postalCode': '02139' });
    expect(e).toMatchObject({ entityType: 'Patient', origin: 'crm_sync', mappingVersion: 'tabular-patient@1' });
  });

  it('given visit_category in the feed and appointmentType in FHIR, then both land in appointmentType', () => {
    const row = mapRecord(raw('AppointmentRow'), { appointment_id: 'a1', patient_id: '1', visit_category: 'Follow-up', scheduled_at: '2024-05-01 09:30:00Z', status: 'Scheduled', duration_min: '30' }, TABULAR_APPOINTMENT, ctx);
    expect(attrs(row.attributes)).toMatchObject({ appointmentType: 'Follow-up', status: 'booked', minutesDuration: 30, patient: 'PatientRow/1', start: '2024-05-01T09:30:00.000Z' });
    expect(Object.keys(FHIR_R4_APPOINTMENT.fields)).toContain('appointmentType');
  });

  it('refuses an appointment row without a time, with the reason', () => {
    expect(() => mapRecord(raw('AppointmentRow'), { appointment_id: 'a1', visit_category: 'x' }, TABULAR_APPOINTMENT, ctx)).toThrow(new UnmappableRecord('rule set tabular-appointment@1: required field start has no value'));
  });
});
