import { z } from 'zod';
import { DEFAULT_VERIFIED_THRESHOLD } from '../confidence.ts';

/**
 * Confidence thresholds: at or above its threshold a value counts as verified
 * without review; below it, it waits for review. Configurable per entity type and
 * per field category. Keys of `overrides`, most specific first:
 *   `Patient.insurance` (type and category), `*.insurance` (category), `Patient` (type).
 */
export interface ThresholdPolicy {
  default: number;
  overrides: Readonly<Record<string, number>>;
}

const confidence = z.number().min(0).max(1);

export const thresholdOverridesSchema = z.record(
  z.string().regex(/^(\*|[A-Z][A-Za-z0-9]*)(\.[A-Za-z][A-Za-z0-9_-]*)?$/, 'Type, Type.category or *.category'),
  confidence,
);

export const thresholdPolicySchema = z.object({
  default: confidence.default(DEFAULT_VERIFIED_THRESHOLD),
  overrides: thresholdOverridesSchema.default({}),
}).strict();

export const DEFAULT_THRESHOLDS: ThresholdPolicy = { default: DEFAULT_VERIFIED_THRESHOLD, overrides: {} };

/**
 * A field's category: the event's category when it names one, else the first
 * segment of the field path (`insurance.memberId` -> `insurance`).
 */
export function fieldCategory(eventCategory: string | null | undefined, field: string): string {
  return eventCategory || field.split('.')[0]!;
}

/** The threshold for one field of one entity type. */
export function thresholdFor(policy: ThresholdPolicy, entityType: string, category: string | null): number {
  const o = policy.overrides;
  if (category) {
    const exact = o[`${entityType}.${category}`] ?? o[`*.${category}`];
    if (exact !== undefined) return exact;
  }
  return o[entityType] ?? policy.default;
}

/** The strictest threshold over an event's fields: the event is reviewed if any field falls short. */
export function eventThreshold(policy: ThresholdPolicy, entityType: string, eventCategory: string | null | undefined, fields: readonly string[]): number {
  if (fields.length === 0) return thresholdFor(policy, entityType, eventCategory ?? null);
  return Math.max(...fields.map((f) => thresholdFor(policy, entityType, fieldCategory(eventCategory, f))));
}

/**
 * Thresholds as services read them from the environment: `REVIEW_THRESHOLD`
 * (a number) and `REVIEW_THRESHOLDS` (JSON text, e.g. `{"Patient.insurance":0.95}`).
 * Review and projection read the same two settings, so what review lets pass
 * the projection shows as verified.
 */
export const thresholdsFromEnvSchema = z.object({
  default: z.coerce.number().min(0).max(1).default(DEFAULT_VERIFIED_THRESHOLD),
  overrides: z.string().default('{}').transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object such as {"Patient.insurance":0.95}' });
      return z.NEVER;
    }
  }).pipe(thresholdOverridesSchema),
}).strict();

export function thresholdsEnv(env: Readonly<Record<string, string | undefined>>): { default: string | undefined; overrides: string | undefined } {
  return { default: env.REVIEW_THRESHOLD, overrides: env.REVIEW_THRESHOLDS };
}
