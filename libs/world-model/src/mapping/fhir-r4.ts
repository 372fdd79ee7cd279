import { ORIGIN_CONFIDENCE } from '../confidence.ts';
import type { RuleSet } from './rules.ts';

/** Built-in rules for FHIR R4 Patient. Other resources follow the same shape. */
export const FHIR_R4_PATIENT: RuleSet = {
  id: 'fhir-r4-patient',
  version: '1',
  resourceType: 'Patient',
  entityType: 'Patient',
  origin: 'ehr_sync',
  confidence: ORIGIN_CONFIDENCE.ehr_sync,
  category: 'demographics',
  fields: {
    'name.family': { path: 'name[0].family', transforms: ['trim'] },
    'name.given': { path: 'name[0].given', pick: 'all', transforms: ['trim'] },
    birthDate: { path: 'birthDate', transforms: ['date'] },
    gender: { path: 'gender', transforms: ['lower'] },
    phone: { path: 'telecom[system=phone].value', transforms: ['e164'] },
    email: { path: 'telecom[system=email].value', transforms: ['email'] },
    'address.line': { path: 'address[0].line', pick: 'all', transforms: ['trim'] },
    'address.city': { path: 'address[0].city', transforms: ['trim'] },
    'address.postalCode': { path: 'address[0].postalCode', transforms: ['trim'] },
  },
  identifiers: [{ path: 'identifier[*]' }],
};

export const BUILT_IN_RULE_SETS: readonly RuleSet[] = [FHIR_R4_PATIENT];

export function ruleSetFor(resourceType: string, ruleSets: readonly RuleSet[] = BUILT_IN_RULE_SETS): RuleSet | undefined {
  return ruleSets.find((r) => r.resourceType === resourceType);
}
