import { z } from 'zod';
import { commonConfigShape, resourceTypeSchema, secretRefSchema } from './common.ts';
import { smartAuthSchema } from './smart-fhir.ts';

/** HMAC-SHA256 over `<timestamp>.<raw body>`, hex, optionally prefixed (e.g. `sha256=`). */
export const signatureSchema = z.object({
  secretRef: secretRefSchema,
  header: z.string().min(1).default('x-signature'),
  timestampHeader: z.string().min(1).default('x-signature-timestamp'),
  prefix: z.string().default('sha256='),
  /** Deliveries whose timestamp is further than this from now are refused as replays. */
  toleranceSec: z.number().int().min(1).max(3_600).default(300),
}).strict();

export const webhookConfigSchema = z.object({
  signature: signatureSchema,
  /**
   * `fhir_subscription`: a FHIR Subscription notification (id-only or full-resource);
   * every focus resource is then read from `fhir.baseUrl`. `json`: the body is the record.
   */
  kind: z.enum(['fhir_subscription', 'json']),
  fhir: z.object({
    baseUrl: z.url(),
    auth: smartAuthSchema.optional(),
    timeoutMs: z.number().int().min(100).default(15_000),
  }).strict().optional(),
  json: z.object({ resourceType: resourceTypeSchema, idField: z.string().min(1).default('id') }).strict().optional(),
  ...commonConfigShape,
}).strict()
  .refine((c) => c.kind !== 'fhir_subscription' || c.fhir !== undefined, { message: 'required for fhir_subscription webhooks', path: ['fhir'] })
  .refine((c) => c.kind !== 'json' || c.json !== undefined, { message: 'required for json webhooks', path: ['json'] });

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
