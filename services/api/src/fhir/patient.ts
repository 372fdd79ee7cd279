import { z } from 'zod';
import { ENTITY_IDENTIFIER_SYSTEM, FHIR_R4_PATIENT, mapRecord, toFhirPatient, UnmappableRecord, type EntityState, type RawRecord } from '@cr/world-model';
import { HttpError, validate } from '../http.ts';

/** The identifier system under which a resource lists the source records behind it: `urn:connector-runner:source:<dataSourceId>`. */
export const SOURCE_IDENTIFIER_PREFIX = 'urn:connector-runner:source:';

const coding = z.object({ system: z.string().optional(), code: z.string().optional(), display: z.string().optional() }).strict();
const codeable = z.object({ coding: z.array(coding).optional(), text: z.string().optional() }).strict();
const period = z.object({ start: z.string().optional(), end: z.string().optional() }).strict();

/**
 * The FHIR R4 Patient the facade accepts: the elements the world model maps.
 * Strict: an element it does not know is refused (400), never silently dropped.
 */
export const patientInputSchema = z.object({
  resourceType: z.literal('Patient'),
  id: z.string().regex(/^[A-Za-z0-9.:-]{1,128}$/).optional(),
  meta: z.object({ versionId: z.string().optional(), lastUpdated: z.string().optional(), source: z.string().optional(), profile: z.array(z.string()).optional(), tag: z.array(coding).optional() }).strict().optional(),
  text: z.object({ status: z.string(), div: z.string() }).strict().optional(),
  identifier: z.array(z.object({ use: z.string().optional(), type: codeable.optional(), system: z.string().optional(), value: z.string().min(1), period: period.optional() }).strict()).optional(),
  active: z.boolean().optional(),
  name: z.array(z.object({ use: z.string().optional(), text: z.string().optional(), family: z.string().optional(), given: z.array(z.string()).optional(), prefix: z.array(z.string()).optional(), suffix: z.array(z.string()).optional(), period: period.optional() }).strict()).optional(),
  telecom: z.array(z.object({ system: z.enum(['phone', 'fax', 'email', 'pager', 'url', 'sms', 'other']), value: z.string().min(1), use: z.string().optional(), rank: z.number().int().optional(), period: period.optional() }).strict()).optional(),
  gender: z.enum(['male', 'female', 'other', 'unknown']).optional(),
  birthDate: z.string().regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, 'a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)').optional(),
  deceasedBoolean: z.boolean().optional(),
  deceasedDateTime: z.string().optional(),
  address: z.array(z.object({ use: z.string().optional(), type: z.string().optional(), text: z.string().optional(), line: z.array(z.string()).optional(), city: z.string().optional(), district: z.string().optional(), state: z.string().optional(), postalCode: z.string().optional(), country: z.string().optional(), period: period.optional() }).strict()).optional(),
  communication: z.array(z.object({ language: codeable, preferred: z.boolean().optional() }).strict()).optional(),
  generalPractitioner: z.array(z.object({ reference: z.string().optional(), display: z.string().optional() }).strict()).optional(),
}).strict();

export type PatientInput = z.infer<typeof patientInputSchema>;

/** A FHIR Patient -> world-model attributes and identifiers, with the same rules as an EHR read. */
export function patientAttributes(input: unknown, what = 'resource'): { resource: PatientInput; attributes: Record<string, string>; identifiers: { system: string; value: string }[] } {
  const resource = validate(patientInputSchema, input, what);
  const raw: RawRecord = {
    recordId: 'fhir-facade', dataSourceId: 'fhir-facade', sourceType: 'fhir_facade', system: 'fhir-facade', resourceType: 'Patient',
    externalId: resource.id ?? 'new', contentHash: '', payload: '', sourceVersion: null, sourceLastUpdated: null, observedAt: 0, ingestedAt: 0,
  };
  try {
    const e = mapRecord(raw, resource, FHIR_R4_PATIENT, { recordedAt: 0, eventId: () => 'fhir-facade' });
    // The runner's own identifiers are outputs, not inputs.
    const identifiers = e.identifiers.filter((i) => i.system !== ENTITY_IDENTIFIER_SYSTEM && !i.system.startsWith(SOURCE_IDENTIFIER_PREFIX));
    return { resource, attributes: e.attributes, identifiers };
  } catch (error) {
    if (error instanceof UnmappableRecord) throw new HttpError(422, 'unprocessable', `${what} has nothing the world model keeps`);
    throw error;
  }
}

/**
 * An entity's projected state as a FHIR Patient. Its id is the canonical entity
 * id; its identifiers cross-reference the entity and every source record behind
 * it. A tag says when some values are not verified yet.
 */
export function patientOf(state: EntityState): Record<string, unknown> {
  const base = toFhirPatient(state, state.fields);
  const identifier = [
    ...base.identifier,
    ...state.identifiers.filter((i) => i.system !== ENTITY_IDENTIFIER_SYSTEM),
    ...state.sourceRefs.map((r) => ({ system: `${SOURCE_IDENTIFIER_PREFIX}${r.dataSourceId}`, value: `${r.resourceType}/${r.externalId}` })),
  ];
  const unverified = Object.values(state.fields).some((f) => !f.verified);
  return {
    ...base,
    id: state.entityId,
    meta: {
      versionId: String(state.version),
      lastUpdated: new Date(state.updatedAt || 0).toISOString(),
      ...(unverified ? { tag: [{ system: 'urn:connector-runner:verification', code: 'unverified-values', display: 'some values await review' }] } : {}),
    },
    identifier,
  };
}
