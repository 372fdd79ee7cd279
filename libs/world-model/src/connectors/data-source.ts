import { z } from 'zod';

/** Per-resource polling settings. */
export const resourcePollSchema = z.object({
  type: z.string().regex(/^[A-Z][A-Za-z]+$/, 'a FHIR resource type such as Patient'),
  intervalMs: z.number().int().min(100).default(60_000),
  pageSize: z.number().int().min(1).max(1000).default(100),
}).strict();

export const fhirStoreConfigSchema = z.object({
  baseUrl: z.url(),
  resources: z.array(resourcePollSchema).min(1),
}).strict();

export type FhirStoreConfig = z.infer<typeof fhirStoreConfigSchema>;

/** What travels on `connector.config`: no secret values, only references. */
export const dataSourceSchema = z.discriminatedUnion('type', [
  z.object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -'),
    name: z.string().min(1),
    type: z.literal('fhir_store'),
    enabled: z.boolean().default(true),
    config: fhirStoreConfigSchema,
  }).strict(),
]);

export type DataSourceConfig = z.infer<typeof dataSourceSchema>;
