import { z } from 'zod';
import { mappingConfigSchema } from '../mapping/rule-set-schema.ts';

/**
 * Pieces every data-source type shares. Secrets never appear here: only
 * secret-store references (`file:<name>` or `env:<NAME>`).
 */
export const secretRefSchema = z.string().regex(/^(file|env):[A-Za-z0-9._-]{1,128}$/, 'a secret-store reference such as file:ehr-a-key or env:EHR_A_KEY');

/** A FHIR resource type (or a source's own record type such as PatientRow). */
export const resourceTypeSchema = z.string().regex(/^[A-Z][A-Za-z0-9]+$/, 'a resource type such as Patient');

export const retrySchema = z.object({
  /** Attempts per request, the first included. */
  maxAttempts: z.number().int().min(1).max(20).default(5),
  initialDelayMs: z.number().int().min(1).default(500),
  maxDelayMs: z.number().int().min(1).default(30_000),
  /** 0..1: how much of each delay is randomised. */
  jitter: z.number().min(0).max(1).default(0.3),
}).strict();

/** Opossum circuit breaker, one per source. */
export const breakerSchema = z.object({
  /** Failure percentage over the rolling window that opens the circuit. */
  errorThresholdPercentage: z.number().min(1).max(100).default(50),
  /** Calls in the window before the percentage is trusted. */
  volumeThreshold: z.number().int().min(1).default(5),
  /** How long the circuit stays open before one trial call. */
  resetTimeoutMs: z.number().int().min(100).default(30_000),
  /** A call slower than this counts as a failure. */
  timeoutMs: z.number().int().min(100).default(60_000),
}).strict();

/** Token bucket, one per source: every outbound request takes a token. */
export const rateLimitSchema = z.object({
  requestsPerSecond: z.number().positive().max(10_000).default(10),
  burst: z.number().int().min(1).default(10),
}).strict();

export const resilienceSchema = z.object({
  retry: retrySchema.prefault({}),
  breaker: breakerSchema.prefault({}),
  rateLimit: rateLimitSchema.prefault({}),
  /** Consecutive failed cycles after which the source is reported unhealthy. */
  unhealthyAfter: z.number().int().min(1).default(3),
}).strict();

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour');

function validTimeZone(tz: string): boolean {
  try { new Intl.DateTimeFormat('en-US', { timeZone: tz }); return true; } catch { return false; }
}

/**
 * Business-hour gating: `poll: 'outside'` keeps load off a clinic's system while
 * it is busy; `'during'` polls only while someone is there to fix problems.
 */
export const businessHoursSchema = z.object({
  timezone: z.string().refine(validTimeZone, 'an IANA time zone such as America/New_York'),
  /** ISO weekdays, 1 = Monday ... 7 = Sunday. */
  days: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5]),
  start: hhmm,
  end: hhmm,
  poll: z.enum(['during', 'outside']).default('outside'),
}).strict().refine((b) => b.start !== b.end, { message: 'start and end must differ', path: ['end'] });

/** Mapping rule sets applied by unification (before the built-in ones); see ../mapping/rule-set-schema.ts. */
export const mappingSchema = mappingConfigSchema;

/** Fields every type's config accepts. */
export const commonConfigShape = {
  resilience: resilienceSchema.prefault({}),
  businessHours: businessHoursSchema.optional(),
  mapping: mappingSchema.optional(),
};

export type SecretRef = z.infer<typeof secretRefSchema>;
export type RetryConfig = z.infer<typeof retrySchema>;
export type BreakerConfig = z.infer<typeof breakerSchema>;
export type RateLimitConfig = z.infer<typeof rateLimitSchema>;
export type ResilienceConfig = z.infer<typeof resilienceSchema>;
export type BusinessHours = z.infer<typeof businessHoursSchema>;
