import { z } from 'zod';
import { commonConfigShape, resourceTypeSchema } from './common.ts';
import { smartAuthSchema } from './smart-fhir.ts';

/** FHIR Bulk Data `$export`: kick-off, status polling, NDJSON downloads with a checkpoint per file. */
export const bulkDataConfigSchema = z.object({
  baseUrl: z.url(),
  auth: smartAuthSchema.optional(),
  level: z.enum(['system', 'patient', 'group']).default('system'),
  groupId: z.string().regex(/^[A-Za-z0-9.-]{1,64}$/).optional(),
  types: z.array(resourceTypeSchema).min(1),
  /** How often an export runs; each after the first asks only for changes (`_since`). */
  intervalMs: z.number().int().min(1_000).default(86_400_000),
  poll: z.object({
    initialDelayMs: z.number().int().min(10).default(1_000),
    maxDelayMs: z.number().int().min(10).default(60_000),
    jitter: z.number().min(0).max(1).default(0.3),
    /** Give the job up (and report it) after this long. */
    maxWaitMs: z.number().int().min(1_000).default(3_600_000),
  }).strict().prefault({}),
  timeoutMs: z.number().int().min(100).default(60_000),
  ...commonConfigShape,
}).strict().refine((c) => c.level !== 'group' || c.groupId !== undefined, { message: 'required when level is group', path: ['groupId'] });

export type BulkDataConfig = z.infer<typeof bulkDataConfigSchema>;
