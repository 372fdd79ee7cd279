import type { EntityState, FieldValue } from '../types.ts';

/** The identifier system under which the runner marks resources it created. */
export const ENTITY_IDENTIFIER_SYSTEM = 'urn:connector-runner:entity';

export interface FhirPatient {
  resourceType: 'Patient';
  id?: string;
  identifier: { system: string; value: string }[];
  name?: { family?: string; given?: string[] }[];
  birthDate?: string;
  gender?: string;
  telecom?: { system: string; value: string }[];
  address?: { line?: string[]; city?: string; postalCode?: string }[];
}

/** Projected Patient fields -> a FHIR R4 Patient. Deterministic. */
export function toFhirPatient(state: EntityState, fields: Record<string, FieldValue>): FhirPatient {
  const v = (name: string): unknown => (fields[name] ? JSON.parse(fields[name].valueJson) as unknown : undefined);
  const str = (name: string): string | undefined => { const x = v(name); return typeof x === 'string' ? x : undefined; };
  const list = (name: string): string[] | undefined => { const x = v(name); return Array.isArray(x) ? x.map(String) : typeof x === 'string' ? [x] : undefined; };
  const patient: FhirPatient = {
    resourceType: 'Patient',
    identifier: [{ system: ENTITY_IDENTIFIER_SYSTEM, value: state.entityId }],
  };
  const family = str('name.family');
  const given = list('name.given');
  if (family || given) patient.name = [{ ...(family ? { family } : {}), ...(given ? { given } : {}) }];
  const birthDate = str('birthDate');
  if (birthDate) patient.birthDate = birthDate;
  const gender = str('gender');
  if (gender) patient.gender = gender;
  const telecom = [
    ...(str('phone') ? [{ system: 'phone', value: str('phone')! }] : []),
    ...(str('email') ? [{ system: 'email', value: str('email')! }] : []),
  ];
  if (telecom.length) patient.telecom = telecom;
  const line = list('address.line');
  const city = str('address.city');
  const postalCode = str('address.postalCode');
  if (line || city || postalCode) patient.address = [{ ...(line ? { line } : {}), ...(city ? { city } : {}), ...(postalCode ? { postalCode } : {}) }];
  return patient;
}
