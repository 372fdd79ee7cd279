import { describe, expect, it } from 'vitest';
import { fhirPreflight } from './fhir-preflight.ts';

describe('FHIR preflight', () => {
  it('given a well-formed Patient, when checked, then nothing is wrong', () => {
    expect(fhirPreflight('Patient', { birthDate: '1815-12-10', gender: 'female' })).toEqual([]);
  });
  it('given a spoken birth date and gender, when checked, then each problem names the element only', () => {
    expect(fhirPreflight('Patient', { birthDate: 'December 10th', gender: 'F' })).toEqual(['Patient.birthDate: not a FHIR date', 'Patient.gender: not in the administrative-gender codes']);
  });
  it('given an Appointment without participants, when checked, then it is refused before sending', () => {
    expect(fhirPreflight('Appointment', { status: 'booked', start: '2030-01-01T09:00:00Z' })).toEqual(['Appointment.participant: at least one is required']);
  });
});
