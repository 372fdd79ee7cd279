import { z } from 'zod';
import { commonConfigShape, resourceTypeSchema } from './common.ts';

/** Per-resource cadence: incremental cycles every `intervalMs`, a full cycle every `fullIntervalMs`. */
export const resourcePollSchema = z.object({
  type: resourceTypeSchema,
  intervalMs: z.number().int().min(100).default(60_000),
  pageSize: z.number().int().min(1).max(1000).default(100),
  /** A full cycle (no `_lastUpdated`) re-reads everything; dedupe keeps it quiet. Default daily. */
  fullIntervalMs: z.number().int().min(1_000).default(86_400_000),
}).strict();

/**
 * Reference data (Practitioner, Location, Organization) is fetched when a polled
 * record first references it, and cached for `ttlMs` so it is not re-read per record.
 */
export const referenceDataSchema = z.object({
  types: z.array(z.enum(['Practitioner', 'PractitionerRole', 'Location', 'Organization'])).default(['Practitioner', 'Location', 'Organization']),
  ttlMs: z.number().int().min(1_000).default(3_600_000),
  maxEntries: z.number().int().min(1).default(10_000),
}).strict();

export const fhirStoreShape = {
  baseUrl: z.url(),
  resources: z.array(resourcePollSchema).min(1),
  referenceData: referenceDataSchema.prefault({}),
  timeoutMs: z.number().int().min(100).default(15_000),
  ...commonConfigShape,
};

export const fhirStoreConfigSchema = z.object(fhirStoreShape).strict()
  .refine((c) => new Set(c.resources.map((r) => r.type)).size === c.resources.length, { message: 'each resource type may appear once', path: ['resources'] });

export type ResourcePoll = z.infer<typeof resourcePollSchema>;
export type FhirStoreConfig = z.infer<typeof fhirStoreConfigSchema>;
