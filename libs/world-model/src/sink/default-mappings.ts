import type { CodeMapping, EntityMapping, FieldMapping, SinkType } from './sink-config.ts';

/**
 * Built-in mappings, used for every entity type a sink takes without mapping it
 * itself. FHIR paths mirror the inbound rule set (fhir-r4.ts), so a value read
 * from one FHIR store lands in the same place in another.
 */

/** Common carriers; the deterministic half of the carrier-code mapper. */
export const INSURANCE_CARRIER_CODES: CodeMapping = {
  table: {
    'blue cross blue shield': 'BCBS', bcbs: 'BCBS', 'blue cross': 'BCBS', 'blue shield': 'BCBS',
    aetna: 'AETNA', cigna: 'CIGNA', humana: 'HUMANA', 'kaiser permanente': 'KAISER', kaiser: 'KAISER',
    'united healthcare': 'UHC', unitedhealthcare: 'UHC', uhc: 'UHC', medicare: 'MEDICARE', medicaid: 'MEDICAID',
  },
  llm: false,
};

const field = (path: string, more: Partial<FieldMapping> = {}): FieldMapping => ({ path, also: {}, list: false, ...more });
const mapping = (target: string, fields: Record<string, FieldMapping>, more: Partial<EntityMapping> = {}): EntityMapping => ({
  target, fields, constants: {}, required: [], steps: [], ...more,
});

function fhirMappings(): Record<string, EntityMapping> {
  return {
    Patient: mapping('Patient', {
      'name.family': field('name[0].family'),
      'name.given': field('name[0].given', { list: true }),
      birthDate: field('birthDate'),
      gender: field('gender'),
      phone: field('telecom[system=phone].value'),
      email: field('telecom[system=email].value'),
      'address.line': field('address[0].line', { list: true }),
      'address.city': field('address[0].city'),
      'address.postalCode': field('address[0].postalCode'),
      'insurance.carrier': field('extension[url=urn:connector-runner:insurance-carrier].valueCode', { category: 'insurance', code: INSURANCE_CARRIER_CODES }),
    }, { required: ['name.family', 'birthDate'] }),
    Appointment: mapping('Appointment', {
      status: field('status'),
      start: field('start'),
      end: field('end'),
      description: field('description'),
      patientId: field('participant[0].actor.reference', { reference: 'Patient', also: { 'participant[0].status': 'accepted' } }),
      practitionerId: field('participant[1].actor.reference', { reference: 'Practitioner', also: { 'participant[1].status': 'accepted' } }),
    }, { required: ['status', 'patientId'] }),
  };
}

function crmMappings(): Record<string, EntityMapping> {
  return {
    Patient: mapping('/contacts', {
      'name.given': field('properties.firstname', { join: ' ' }),
      'name.family': field('properties.lastname'),
      phone: field('properties.phone'),
      email: field('properties.email'),
      birthDate: field('properties.date_of_birth'),
      'insurance.carrier': field('properties.insurance_carrier', { category: 'insurance', code: INSURANCE_CARRIER_CODES }),
    }, { required: ['name.family'] }),
  };
}

/** The built-in mappings of a sink type (rest has none: its records are configured). */
export function defaultMappings(type: SinkType): Record<string, EntityMapping> {
  if (type === 'fhir_store' || type === 'smart_fhir') return fhirMappings();
  if (type === 'crm') return crmMappings();
  return {};
}
