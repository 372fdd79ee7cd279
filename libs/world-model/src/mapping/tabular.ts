import { ORIGIN_CONFIDENCE } from '../confidence.ts';
import type { RuleSet } from './rules.ts';

/**
 * Built-in rules for a flat patient-and-appointment feed (CSV rows from a file
 * drop, or a REST export): one JSON object of column -> string per row, with
 * the feed's own column names. They produce the same attribute names as the
 * FHIR rules, e.g. the feed's `visit_category` becomes `appointmentType`.
 * A data source whose columns differ configures its own rule set instead.
 */

const FEED = { origin: 'crm_sync' as const, confidence: ORIGIN_CONFIDENCE.crm_sync };

export const TABULAR_PATIENT: RuleSet = {
  id: 'tabular-patient', version: '1', resourceType: 'PatientRow', entityType: 'Patient', ...FEED, category: 'demographics',
  fields: {
    'name.family': { path: ['last_name', 'family_name', 'surname'], transforms: ['collapse'] },
    'name.given': { path: ['first_name', 'given_name'], pick: 'all', transforms: ['collapse'] },
    'name.middle': { path: 'middle_name', transforms: ['collapse'] },
    birthDate: { path: ['dob', 'date_of_birth', 'birth_date'], transforms: ['date'] },
    gender: { path: ['sex', 'gender'], transforms: ['upper'], codeMap: { M: 'male', F: 'female', MALE: 'male', FEMALE: 'female', U: 'unknown', O: 'other' } },
    phone: { path: ['mobile', 'cell_phone', 'phone', 'home_phone'], transforms: ['e164'] },
    email: { path: ['email', 'email_address'], transforms: ['email'] },
    'address.line': { path: ['street', 'address_line1', 'address'], pick: 'all', transforms: ['collapse'] },
    'address.city': { path: 'city', transforms: ['collapse'] },
    'address.state': { path: 'state', transforms: ['upper'] },
    'address.postalCode': { path: ['zip', 'zip_code', 'postal_code'], transforms: ['trim'] },
  },
  identifiers: [],
};

export const TABULAR_APPOINTMENT: RuleSet = {
  id: 'tabular-appointment', version: '1', resourceType: 'AppointmentRow', entityType: 'Appointment', ...FEED, category: 'scheduling',
  fields: {
    status: {
      path: ['status', 'appointment_status'], transforms: ['lower'],
      codeMap: { scheduled: 'booked', confirmed: 'booked', cancelled: 'cancelled', canceled: 'cancelled', completed: 'fulfilled', 'no show': 'noshow', 'no-show': 'noshow' },
    },
    appointmentType: { path: ['visit_category', 'appointment_type', 'visit_type'], transforms: ['collapse'] },
    start: { path: ['scheduled_at', 'start_time', 'appointment_start'], transforms: ['datetime'], required: true },
    minutesDuration: { path: ['duration_min', 'duration_minutes'], transforms: ['number'] },
    description: { path: ['reason', 'notes'], transforms: ['collapse'] },
    patient: { path: 'patient_id', transforms: ['trim'], prefix: 'PatientRow/' },
    practitionerNpi: { path: ['provider_npi', 'npi'], transforms: ['digits'] },
    location: { path: ['location', 'clinic'], transforms: ['collapse'] },
  },
  identifiers: [],
};

export const TABULAR_RULE_SETS: readonly RuleSet[] = [TABULAR_PATIENT, TABULAR_APPOINTMENT];
