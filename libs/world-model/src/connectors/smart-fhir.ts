import { z } from 'zod';
import { secretRefSchema } from './common.ts';
import { fhirStoreShape } from './fhir-store.ts';

/** SMART Backend Services: a signed JWT assertion for a `client_credentials` token. */
export const smartAuthSchema = z.object({
  clientId: z.string().min(1),
  /** PEM (PKCS#8) private key, stored in the secret store; only the reference travels. */
  privateKeyRef: secretRefSchema,
  /** `kid` header of the assertion, as registered with the server's JWKS. */
  keyId: z.string().min(1),
  algorithm: z.enum(['RS384', 'ES384']).default('RS384'),
  /** Granted scopes are policy: a resource whose scope was not granted is never requested. */
  scopes: z.array(z.string().regex(/^system\/(\*|[A-Z][A-Za-z]+)\.(read|rs|cruds|\*|write)$/, 'a system/ scope such as system/Patient.read')).min(1),
  /** Overrides discovery through .well-known/smart-configuration. */
  tokenEndpoint: z.url().optional(),
  /** Renew the token this long before it expires. */
  renewBeforeMs: z.number().int().min(0).default(60_000),
}).strict();

export const smartFhirConfigSchema = z.object({ ...fhirStoreShape, auth: smartAuthSchema }).strict()
  .refine((c) => new Set(c.resources.map((r) => r.type)).size === c.resources.length, { message: 'each resource type may appear once', path: ['resources'] });

export type SmartAuthConfig = z.infer<typeof smartAuthSchema>;
export type SmartFhirConfig = z.infer<typeof smartFhirConfigSchema>;
