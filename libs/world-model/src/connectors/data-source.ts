import { z } from 'zod';
import { fhirStoreConfigSchema } from './fhir-store.ts';
import { smartFhirConfigSchema } from './smart-fhir.ts';
import { fileDropConfigSchema } from './file-drop.ts';
import { webhookConfigSchema } from './webhook.ts';
import { restConfigSchema } from './rest.ts';
import { crmConfigSchema } from './crm.ts';
import { bulkDataConfigSchema } from './bulk-data.ts';

const dataSourceId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -');

function source<T extends string, C extends z.ZodType>(type: T, config: C) {
  return z.object({
    id: dataSourceId,
    name: z.string().min(1),
    type: z.literal(type),
    enabled: z.boolean().default(true),
    config,
  }).strict();
}

/**
 * What travels on `connector.config`: no secret values, only references. A zod
 * discriminated union on `type`; the api validates PUT bodies with it minus `id`.
 */
export const dataSourceSchema = z.discriminatedUnion('type', [
  source('fhir_store', fhirStoreConfigSchema),
  source('smart_fhir', smartFhirConfigSchema),
  source('fhir_bulk', bulkDataConfigSchema),
  source('rest', restConfigSchema),
  source('crm', crmConfigSchema),
  source('webhook', webhookConfigSchema),
  source('file_drop', fileDropConfigSchema),
]);

export type DataSourceConfig = z.infer<typeof dataSourceSchema>;
export type DataSourceType = DataSourceConfig['type'];
export type DataSourceOf<T extends DataSourceType> = Extract<DataSourceConfig, { type: T }>;
