import { z } from 'zod';
import { secretRefSchema } from '../connectors/common.ts';
import { DEFAULT_VERIFIED_THRESHOLD } from '../confidence.ts';
import { defaultMappings } from './default-mappings.ts';
import { unwritablePath } from './write-path.ts';

/**
 * A sink's configuration: which entity types it takes, how their fields map onto
 * the target's records, the gates (threshold, own data sources, categories that
 * need an operator's sign-off), the rate it may write at, and how it reconciles.
 * One zod schema, checked at start-up; every problem is named by its dotted path.
 */
export const SINK_TYPES = ['fhir_store', 'smart_fhir', 'crm', 'rest'] as const;
export type SinkType = (typeof SINK_TYPES)[number];

/** FHIR sinks write resources; crm and rest sinks write JSON objects over HTTP. */
export function isFhirSink(type: SinkType): boolean {
  return type === 'fhir_store' || type === 'smart_fhir';
}

export const sinkIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -');
const entityTypeSchema = z.string().regex(/^[A-Z][A-Za-z0-9]+$/, 'an entity type such as Patient');
const fieldNameSchema = z.string().min(1).max(200);
const writablePathSchema = z.string().min(1).superRefine((p, ctx) => {
  const problem = unwritablePath(p);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Free text that must become a code: a table first, then (optionally) the LLM mapper. */
export const codeMappingSchema = z.object({
  /** Normalised text (lower case, single spaces) -> code. */
  table: z.record(z.string(), z.string().min(1)).default({}),
  /** Codes the LLM may answer with; default: the table's codes. */
  codes: z.array(z.string().min(1)).optional(),
  /** Ask the sink's LLM mapper when the table has no entry. */
  llm: z.boolean().default(false),
  /** Written when nothing matches; absent: the field is left out of the write. */
  fallback: z.string().min(1).optional(),
}).strict();

export const fieldMappingSchema = z.object({
  /** Where the value goes in the target record, e.g. `name[0].family`, `properties.phone`. */
  path: writablePathSchema,
  /** The field holds another entity's id: written as a reference to that entity's record in the target. */
  reference: entityTypeSchema.optional(),
  /** Lists are joined with this separator (e.g. given names into one CRM property). */
  join: z.string().optional(),
  /** A single value is written as a one-entry list (FHIR `given`, `line`). */
  list: z.boolean().default(false),
  /** Free text -> code. */
  code: codeMappingSchema.optional(),
  /** Written alongside the value, only when the value is (e.g. a participant's status). */
  also: z.record(writablePathSchema, z.json()).default({}),
  /** Review category when the entity state carries none (human sign-off). */
  category: z.string().min(1).optional(),
}).strict();

/** Where a step's value comes from: a constant, a field, or a record reference. */
export const stepValueSchema = z.union([
  z.object({ const: z.json() }).strict(),
  z.object({ field: fieldNameSchema }).strict(),
  /** `self`: the entity's own record; otherwise a reference field of the entity. */
  z.object({ ref: z.string().min(1) }).strict(),
]);

export const stepSchema = z.discriminatedUnion('kind', [
  /** Create a further record once (conditional create keyed by the step), e.g. notify a practitioner. */
  z.object({
    kind: z.literal('create'),
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/),
    target: z.string().min(1),
    values: z.record(writablePathSchema, stepValueSchema),
  }).strict(),
  /** Merge values into the record a reference field points at, e.g. update the Patient. */
  z.object({
    kind: z.literal('update'),
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/),
    reference: fieldNameSchema,
    values: z.record(writablePathSchema, stepValueSchema),
  }).strict(),
]);

export const entityMappingSchema = z.object({
  /** The target's record type: a FHIR resource type, or a CRM/REST object path such as `/contacts`. */
  target: z.string().min(1),
  fields: z.record(fieldNameSchema, fieldMappingSchema),
  /** Set on every record this mapping writes. */
  constants: z.record(writablePathSchema, z.json()).default({}),
  /**
   * Fields needed to create the record (autonomous creation), and for this entity
   * to count as an existing dependency: present, verified, at or above threshold.
   */
  required: z.array(fieldNameSchema).default([]),
  /** Further steps after the record itself, each tracked on its own. */
  steps: z.array(stepSchema).default([]),
}).strict();

export const sinkAuthSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({ kind: z.literal('bearer'), tokenRef: secretRefSchema }).strict(),
  z.object({
    kind: z.literal('smart'),
    clientId: z.string().min(1),
    privateKeyRef: secretRefSchema,
    keyId: z.string().min(1),
    algorithm: z.enum(['RS384', 'ES384']).default('RS384'),
    scopes: z.array(z.string().regex(/^system\/(\*|[A-Z][A-Za-z]+)\.(write|cud|cruds|\*|[crud]+)$/, 'a system/ write scope such as system/Patient.write')).min(1),
    tokenEndpoint: z.url().optional(),
  }).strict(),
  z.object({
    kind: z.literal('client_credentials'),
    tokenUrl: z.url(),
    clientId: z.string().min(1),
    clientSecretRef: secretRefSchema,
    scopes: z.array(z.string().min(1)).default([]),
  }).strict(),
]);

export const sinkTargetSchema = z.object({
  baseUrl: z.url(),
  auth: sinkAuthSchema.default({ kind: 'none' }),
  timeoutMs: z.number().int().min(100).default(15_000),
  /**
   * crm/rest: where our entity id is written in a record we create, and the query
   * parameter that finds it again, so a retried create finds the record instead of
   * adding one. Defaults: crm `properties.connector_runner_id`, rest `connector_runner_id`.
   */
  externalIdPath: writablePathSchema.optional(),
  lookupParam: z.string().min(1).default('connector_runner_id'),
  /** crm/rest: where the list of matches is in a lookup response; default crm `results`, rest the body itself (or `items`). */
  resultsPath: z.string().min(1).optional(),
  /** crm/rest: where the record id is in a response. */
  idField: z.string().min(1).default('id'),
  /** crm/rest: the method that updates a record. */
  updateMethod: z.enum(['PUT', 'PATCH']).default('PATCH'),
}).strict();

export const sinkConfigSchema = z.object({
  id: sinkIdSchema,
  type: z.enum(SINK_TYPES).default('fhir_store'),
  target: sinkTargetSchema,
  entityTypes: z.array(entityTypeSchema).min(1).default(['Patient']),
  threshold: z.number().min(0).max(1).default(DEFAULT_VERIFIED_THRESHOLD),
  /** Data sources that read from this sink's target: their values are never written back. */
  ownDataSourceIds: z.array(z.string().min(1)).default([]),
  /** Per entity type; built-in mappings fill the types left out (FHIR Patient/Appointment, CRM contacts). */
  mappings: z.record(entityTypeSchema, entityMappingSchema).default({}),
  humanReview: z.object({
    /** Values in these categories wait for an operator's approval on review.decisions. */
    categories: z.array(z.string().min(1)).default([]),
  }).strict().prefault({}),
  rateLimit: z.object({
    writesPerSecond: z.number().positive().max(10_000).default(10),
    /** Writes allowed back to back after a quiet spell. */
    burst: z.number().int().min(1).default(1),
  }).strict().prefault({}),
  retry: z.object({
    initialDelayMs: z.number().int().min(1).default(500),
    maxDelayMs: z.number().int().min(1).default(30_000),
    jitter: z.number().min(0).max(1).default(0.3),
  }).strict().prefault({}),
  reconcile: z.object({
    enabled: z.boolean().default(true),
    intervalMs: z.number().int().min(200).default(60_000),
    /** Read written records back from the target to catch writes it dropped silently. */
    readBack: z.boolean().default(true),
    /** Re-queued entities per cycle, at most. */
    maxPerCycle: z.number().int().min(1).default(500),
  }).strict().prefault({}),
  /** Optional LLM code mapper (free text -> code); the code tables answer when it is down or unsure. */
  llm: z.object({
    url: z.url(),
    tokenRef: secretRefSchema.optional(),
    timeoutMs: z.number().int().min(50).default(5_000),
    /** Answers below this confidence count as unsure. */
    minConfidence: z.number().min(0).max(1).default(0.8),
  }).strict().optional(),
  /** Produce results and commit after this many records (small: lag falls record by record). */
  flushEvery: z.number().int().min(1).default(10),
  /**
   * Entities synced at once per partition (one entity's states always in order); the
   * rate limit still bounds the writes. 1 syncs record by record.
   */
  concurrency: z.number().int().min(1).max(64).default(4),
}).strict().transform((c, ctx) => {
  // Built-in mappings fill the entity types the configuration does not map.
  const builtIn = defaultMappings(c.type);
  const mappings: Record<string, EntityMapping> = { ...c.mappings };
  for (const t of c.entityTypes) {
    const m = mappings[t] ?? builtIn[t];
    if (!m) {
      ctx.addIssue({ code: 'custom', path: ['mappings', t], message: `no mapping for ${t}: a ${c.type} sink has built-in mappings for ${Object.keys(builtIn).join(', ') || 'no type'}` });
      continue;
    }
    mappings[t] = m;
  }
  for (const [t, m] of Object.entries(mappings)) {
    for (const [f, fm] of Object.entries(m.fields)) {
      if (fm.code?.llm && !c.llm) ctx.addIssue({ code: 'custom', path: ['mappings', t, 'fields', f, 'code', 'llm'], message: 'needs the sink\'s llm settings' });
    }
    m.steps.forEach((s, i) => {
      if (s.kind === 'update' && !m.fields[s.reference]?.reference) {
        ctx.addIssue({ code: 'custom', path: ['mappings', t, 'steps', i, 'reference'], message: `${s.reference} is not a reference field of ${t}` });
      }
    });
  }
  if (c.type === 'smart_fhir' && c.target.auth.kind !== 'smart') ctx.addIssue({ code: 'custom', path: ['target', 'auth', 'kind'], message: 'a smart_fhir sink authenticates with kind: smart' });
  return { ...c, mappings };
});

export type SinkConfigInput = z.input<typeof sinkConfigSchema>;
export type SinkConfig = z.output<typeof sinkConfigSchema>;
export type EntityMapping = z.output<typeof entityMappingSchema>;
export type FieldMapping = z.output<typeof fieldMappingSchema>;
export type CodeMapping = z.output<typeof codeMappingSchema>;
export type SinkStep = z.output<typeof stepSchema>;
export type StepValue = z.output<typeof stepValueSchema>;
export type SinkAuth = z.output<typeof sinkAuthSchema>;
export type SinkTarget = z.output<typeof sinkTargetSchema>;

