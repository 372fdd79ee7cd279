import { ORIGIN_CONFIDENCE } from '../confidence.ts';
import type { FieldRule, RuleSet } from './rules.ts';

/**
 * Built-in rules for FHIR R4 resources. Attribute names are the world model's,
 * shared with every other source's rules (see tabular.ts), so the projection
 * and resolution see one vocabulary whatever the source.
 */

const EHR = { origin: 'ehr_sync' as const, confidence: ORIGIN_CONFIDENCE.ehr_sync };
export const NPI_SYSTEM = 'http://hl7.org/fhir/sid/us-npi';

const ref = (path: string | string[]): FieldRule => ({ path, transforms: ['reference'] });
const text = (...paths: string[]): FieldRule => ({ path: paths, transforms: ['collapse'] });
const when = (...paths: string[]): FieldRule => ({ path: paths, transforms: ['datetime'] });
const codeable = (base: string): FieldRule => text(`${base}.text`, `${base}.coding.display`, `${base}.coding.code`);

/** Person name, contact and address fields, shared by Patient and Practitioner. */
const person: Record<string, FieldRule> = {
  'name.family': { path: ['name[use=official].family', 'name.family'], transforms: ['collapse'] },
  'name.given': { path: ['name[use=official].given', 'name[0].given'], pick: 'all', transforms: ['collapse'] },
  gender: { path: 'gender', transforms: ['lower'] },
  phone: { path: ['telecom[system=phone][use=mobile].value', 'telecom[system=phone|sms].value'], transforms: ['e164'] },
  email: { path: 'telecom[system=email].value', transforms: ['email'] },
  'address.line': { path: ['address[use=home].line', 'address[0].line'], pick: 'all', transforms: ['collapse'] },
  'address.city': { path: ['address[use=home].city', 'address[0].city'], transforms: ['collapse'] },
  'address.state': { path: ['address[use=home].state', 'address[0].state'], transforms: ['upper'] },
  'address.postalCode': { path: ['address[use=home].postalCode', 'address[0].postalCode'], transforms: ['trim'] },
};

export const FHIR_R4_PATIENT: RuleSet = {
  id: 'fhir-r4-patient', version: '2', resourceType: 'Patient', entityType: 'Patient', ...EHR, category: 'demographics',
  fields: {
    ...person,
    birthDate: { path: 'birthDate', transforms: ['date'] },
    deceased: { path: ['deceasedBoolean', 'deceasedDateTime'], transforms: ['string'] },
    language: codeable('communication[preferred=true].language'),
    generalPractitioner: ref('generalPractitioner.reference'),
  },
  identifiers: [{ path: 'identifier[*]' }],
};

export const FHIR_R4_PRACTITIONER: RuleSet = {
  id: 'fhir-r4-practitioner', version: '1', resourceType: 'Practitioner', entityType: 'Practitioner', ...EHR, category: 'directory',
  fields: {
    ...person,
    npi: { path: `identifier[system=${NPI_SYSTEM}].value`, transforms: ['digits'] },
    specialty: codeable('qualification.code'),
    active: { path: 'active', transforms: ['boolean'] },
  },
  identifiers: [{ path: 'identifier[*]' }],
};

export const FHIR_R4_LOCATION: RuleSet = {
  id: 'fhir-r4-location', version: '1', resourceType: 'Location', entityType: 'Location', ...EHR, category: 'directory',
  fields: {
    name: text('name'),
    status: { path: 'status', transforms: ['lower'] },
    type: codeable('type'),
    phone: { path: 'telecom[system=phone].value', transforms: ['e164'] },
    'address.line': { path: 'address.line', pick: 'all', transforms: ['collapse'] },
    'address.city': text('address.city'),
    'address.state': { path: 'address.state', transforms: ['upper'] },
    'address.postalCode': { path: 'address.postalCode', transforms: ['trim'] },
    managingOrganization: ref('managingOrganization.reference'),
  },
  identifiers: [{ path: 'identifier[*]' }],
};

export const FHIR_R4_APPOINTMENT: RuleSet = {
  id: 'fhir-r4-appointment', version: '1', resourceType: 'Appointment', entityType: 'Appointment', ...EHR, category: 'scheduling',
  fields: {
    status: { path: 'status', transforms: ['lower'] },
    appointmentType: text('appointmentType.coding.code', 'appointmentType.text'),
    serviceType: codeable('serviceType'),
    start: when('start'),
    end: when('end'),
    minutesDuration: { path: 'minutesDuration', transforms: ['number'] },
    description: text('description'),
    patient: ref('participant.actor[reference*=Patient/].reference'),
    practitioner: ref('participant.actor[reference*=Practitioner/].reference'),
    location: ref('participant.actor[reference*=Location/].reference'),
  },
  identifiers: [{ path: 'identifier[*]' }],
};

export const FHIR_R4_ENCOUNTER: RuleSet = {
  id: 'fhir-r4-encounter', version: '1', resourceType: 'Encounter', entityType: 'Encounter', ...EHR, category: 'clinical',
  fields: {
    status: { path: 'status', transforms: ['lower'] },
    class: { path: ['class.code', 'class.display'], transforms: ['trim'] },
    type: codeable('type'),
    patient: ref('subject.reference'),
    practitioner: ref('participant.individual[reference*=Practitioner/].reference'),
    location: ref('location.location.reference'),
    serviceProvider: ref('serviceProvider.reference'),
    start: when('period.start'),
    end: when('period.end'),
    reason: codeable('reasonCode'),
  },
  identifiers: [{ path: 'identifier[*]' }],
};

export const FHIR_R4_MEDICATION_REQUEST: RuleSet = {
  id: 'fhir-r4-medication-request', version: '1', resourceType: 'MedicationRequest', entityType: 'MedicationOrder', ...EHR, category: 'clinical',
  fields: {
    status: { path: 'status', transforms: ['lower'] },
    intent: { path: 'intent', transforms: ['lower'] },
    'medication.code': { path: 'medicationCodeableConcept.coding.code', transforms: ['trim'] },
    'medication.system': { path: 'medicationCodeableConcept.coding.system', transforms: ['trim'] },
    'medication.display': text('medicationCodeableConcept.text', 'medicationCodeableConcept.coding.display'),
    medicationRef: ref('medicationReference.reference'),
    patient: ref('subject.reference'),
    encounter: ref('encounter.reference'),
    requester: ref('requester.reference'),
    authoredOn: when('authoredOn'),
    dosage: text('dosageInstruction.text'),
  },
  identifiers: [{ path: 'identifier[*]' }],
};

/** Lab results come from two resources; both become LabResult with the same attribute names. */
const labCommon: Record<string, FieldRule> = {
  status: { path: 'status', transforms: ['lower'] },
  code: { path: 'code.coding.code', transforms: ['trim'] },
  'code.system': { path: 'code.coding.system', transforms: ['trim'] },
  display: text('code.text', 'code.coding.display'),
  patient: ref('subject.reference'),
  encounter: ref('encounter.reference'),
  effective: when('effectiveDateTime', 'effectivePeriod.start'),
  issued: when('issued'),
  category: { path: 'category.coding.code', transforms: ['lower'] },
};

export const FHIR_R4_OBSERVATION: RuleSet = {
  id: 'fhir-r4-observation', version: '1', resourceType: 'Observation', entityType: 'LabResult', ...EHR, category: 'clinical',
  fields: {
    ...labCommon,
    kind: { path: 'resourceType', default: 'observation', codeMap: { Observation: 'observation' } },
    value: { path: ['valueQuantity.value', 'valueInteger', 'valueString', 'valueCodeableConcept.text', 'valueCodeableConcept.coding.code', 'valueBoolean'] },
    unit: { path: ['valueQuantity.unit', 'valueQuantity.code'], transforms: ['trim'] },
    interpretation: { path: 'interpretation.coding.code', transforms: ['upper'] },
    'referenceRange.low': { path: 'referenceRange.low.value' },
    'referenceRange.high': { path: 'referenceRange.high.value' },
  },
  identifiers: [{ path: 'identifier[*]' }],
};

export const FHIR_R4_DIAGNOSTIC_REPORT: RuleSet = {
  id: 'fhir-r4-diagnostic-report', version: '1', resourceType: 'DiagnosticReport', entityType: 'LabResult', ...EHR, category: 'clinical',
  fields: {
    ...labCommon,
    kind: { path: 'resourceType', default: 'report', codeMap: { DiagnosticReport: 'report' } },
    conclusion: text('conclusion'),
    results: { path: 'result.reference', pick: 'all', transforms: ['reference'] },
    performer: ref('performer.reference'),
  },
  identifiers: [{ path: 'identifier[*]' }],
};

export const FHIR_R4_COVERAGE: RuleSet = {
  id: 'fhir-r4-coverage', version: '1', resourceType: 'Coverage', entityType: 'InsurancePlan', ...EHR, category: 'insurance',
  fields: {
    status: { path: 'status', transforms: ['lower'] },
    payor: text('payor.display', 'payor.reference'),
    subscriberId: { path: 'subscriberId', transforms: ['trim'] },
    memberId: { path: 'identifier[type.coding.code=MB].value', transforms: ['trim'] },
    patient: ref('beneficiary.reference'),
    relationship: { path: 'relationship.coding.code', transforms: ['lower'] },
    plan: text('class[type.coding.code=plan].value'),
    planName: text('class[type.coding.code=plan].name'),
    group: text('class[type.coding.code=group].value'),
    start: when('period.start'),
    end: when('period.end'),
  },
  identifiers: [{ path: 'identifier[*]' }],
};

export const FHIR_R4_RULE_SETS: readonly RuleSet[] = [
  FHIR_R4_PATIENT, FHIR_R4_PRACTITIONER, FHIR_R4_LOCATION, FHIR_R4_APPOINTMENT, FHIR_R4_ENCOUNTER,
  FHIR_R4_MEDICATION_REQUEST, FHIR_R4_OBSERVATION, FHIR_R4_DIAGNOSTIC_REPORT, FHIR_R4_COVERAGE,
];
