import { z } from 'zod';
import { paginationSchema, restShape, type RestConfig, type RestEndpoint } from './rest.ts';

const CRM_RESOURCE = { contacts: 'CrmContact', companies: 'CrmCompany', deals: 'CrmDeal' } as const;

/** Contacts, companies and deals, each with its own incremental cadence, over the REST machinery. */
export const crmObjectSchema = z.object({
  type: z.enum(['contacts', 'companies', 'deals']),
  intervalMs: z.number().int().min(100).default(300_000),
  /** Default `/<type>`. */
  path: z.string().regex(/^\/[^?#]*$/).optional(),
}).strict();

export const crmConfigSchema = z.object({
  ...restShape,
  objects: z.array(crmObjectSchema).min(1),
  pagination: paginationSchema.default({ style: 'cursor', cursorParam: 'after', cursorPath: 'paging.next.after', sizeParam: 'limit', size: 100 }),
  itemsPath: z.string().default('results'),
  idField: z.string().default('id'),
  updatedSince: z.object({ param: z.string().min(1).default('updatedSince'), field: z.string().min(1).default('updatedAt') }).strict().prefault({}),
}).strict()
  .refine((c) => new Set(c.objects.map((o) => o.type)).size === c.objects.length, { message: 'each object type may appear once', path: ['objects'] });

export type CrmConfig = z.infer<typeof crmConfigSchema>;

/** A CRM source is a REST source with one endpoint per object type. */
export function crmAsRest(c: CrmConfig): RestConfig {
  const endpoints: RestEndpoint[] = c.objects.map((o) => ({
    resourceType: CRM_RESOURCE[o.type], path: o.path ?? `/${o.type}`, intervalMs: o.intervalMs, itemsPath: c.itemsPath, idField: c.idField,
    query: {}, partitions: [{}], pagination: c.pagination, updatedSince: c.updatedSince,
  }));
  return { baseUrl: c.baseUrl, auth: c.auth, timeoutMs: c.timeoutMs, resilience: c.resilience, businessHours: c.businessHours, mapping: c.mapping, endpoints };
}
