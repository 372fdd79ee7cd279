import { z } from 'zod';
import { commonConfigShape, resourceTypeSchema, secretRefSchema } from './common.ts';

const param = z.string().min(1).regex(/^[A-Za-z0-9_.\-[\]]+$/, 'a query parameter name');
const dotPath = z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'a dot path such as data.items');

/** The four pagination styles of real APIs, plus none. */
export const paginationSchema = z.discriminatedUnion('style', [
  z.object({ style: z.literal('none') }).strict(),
  z.object({ style: z.literal('page'), pageParam: param.default('page'), sizeParam: param.default('per_page'), size: z.number().int().min(1).max(1000).default(100), firstPage: z.number().int().min(0).default(1) }).strict(),
  z.object({ style: z.literal('offset'), offsetParam: param.default('offset'), limitParam: param.default('limit'), limit: z.number().int().min(1).max(1000).default(100) }).strict(),
  z.object({ style: z.literal('cursor'), cursorParam: param.default('cursor'), cursorPath: dotPath.default('next_cursor'), sizeParam: param.optional(), size: z.number().int().min(1).max(1000).default(100) }).strict(),
  z.object({ style: z.literal('link') }).strict(),
]);

/** Exactly one `{secret}` placeholder: the secret goes in once, nowhere else. */
const secretTemplate = z.string().refine((t) => t.split('{secret}').length === 2, 'must contain exactly one {secret} placeholder');

export const restAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('api_key'), secretRef: secretRefSchema, in: z.enum(['header', 'query']).default('header'), name: z.string().min(1).default('x-api-key') }).strict(),
  z.object({ type: z.literal('bearer'), secretRef: secretRefSchema }).strict(),
  z.object({
    type: z.literal('oauth2_client_credentials'), tokenUrl: z.url(), clientId: z.string().min(1), clientSecretRef: secretRefSchema,
    scopes: z.array(z.string().min(1)).default([]), renewBeforeMs: z.number().int().min(0).default(30_000),
  }).strict(),
  z.object({
    /**
     * Bearer-token exchange: a short-lived token per distinct combination of the
     * request's `params`, minted at `exchangeUrl` with the long-lived secret in a header.
     */
    type: z.literal('token_exchange'),
    exchangeUrl: z.url(),
    secretRef: secretRefSchema,
    secretHeader: z.object({ name: z.string().min(1).default('authorization'), template: secretTemplate.default('Bearer {secret}') }).strict().prefault({}),
    params: z.array(param).min(1),
    tokenField: dotPath.default('access_token'),
    expiresInField: dotPath.default('expires_in'),
    defaultTtlSec: z.number().int().min(1).default(300),
    renewBeforeMs: z.number().int().min(0).default(10_000),
  }).strict(),
]);

export const restEndpointSchema = z.object({
  resourceType: resourceTypeSchema,
  path: z.string().regex(/^\/[^?#]*$/, 'a path starting with / without a query'),
  intervalMs: z.number().int().min(100).default(60_000),
  /** Dot path to the array of records in a response; empty: the body is the array. */
  itemsPath: z.union([dotPath, z.literal('')]).default('data'),
  idField: dotPath.default('id'),
  query: z.record(param, z.string()).default({}),
  /** One poll per parameter set (e.g. one per practice); each set keys its own exchanged token. */
  partitions: z.array(z.record(param, z.string())).min(1).default([{}]),
  pagination: paginationSchema.default({ style: 'none' }),
  /** Incremental polling: send `param=<largest field value seen>`. */
  updatedSince: z.object({ param, field: dotPath }).strict().optional(),
}).strict();

export const restShape = {
  baseUrl: z.url(),
  auth: restAuthSchema.default({ type: 'none' }),
  timeoutMs: z.number().int().min(100).default(15_000),
  ...commonConfigShape,
};

export const restConfigSchema = z.object({ ...restShape, endpoints: z.array(restEndpointSchema).min(1) }).strict();

export type Pagination = z.infer<typeof paginationSchema>;
export type RestAuth = z.infer<typeof restAuthSchema>;
export type RestEndpoint = z.infer<typeof restEndpointSchema>;
export type RestConfig = z.infer<typeof restConfigSchema>;
