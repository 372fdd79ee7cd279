import { z } from 'zod';
import { thresholdsEnv, thresholdsFromEnvSchema } from '@cr/world-model';

const ms = (dflt: number, min = 0) => z.coerce.number().int().min(min).default(dflt);

/** The review service's settings (environment names in `reviewEnv`). */
export const reviewConfigSchema = z.object({
  thresholds: thresholdsFromEnvSchema,
  /** A verified event is raised to this confidence (1.0: as good as its source). */
  verifiedConfidence: z.coerce.number().min(0).max(1).default(1),
  /** An entity is reviewed this long after its last new event (so a burst is one review) ... */
  debounceMs: ms(750),
  /** ... but never later than this after its first waiting event. */
  maxWaitMs: ms(5_000),
  /** Safety net: how often to look for entities the real-time path missed. */
  scanIntervalMs: ms(15_000, 100),
  /** How long an instance owns an entity it is reviewing before another may take over. */
  leaseMs: ms(60_000, 1_000),
  llm: z.object({
    /** OpenAI-compatible base URL (e.g. http://127.0.0.1:8000/v1); unset: the deterministic judge only. */
    baseUrl: z.url().optional(),
    model: z.string().min(1).default('gpt-4o-mini'),
    apiKey: z.string().min(1).optional(),
    timeoutMs: ms(10_000, 100),
    /** The breaker opens when this share of recent calls failed (with at least `breakerVolume` calls) ... */
    breakerErrorPercent: z.coerce.number().min(1).max(100).default(50),
    breakerVolume: z.coerce.number().int().min(1).default(3),
    /** ... and tries one call again after this long. */
    breakerResetMs: ms(30_000, 100),
  }).strict(),
}).strict();

export type ReviewConfig = z.infer<typeof reviewConfigSchema>;

export function reviewEnv(env: NodeJS.ProcessEnv): unknown {
  return {
    thresholds: thresholdsEnv(env),
    verifiedConfidence: env.REVIEW_VERIFIED_CONFIDENCE,
    debounceMs: env.REVIEW_DEBOUNCE_MS,
    maxWaitMs: env.REVIEW_MAX_WAIT_MS,
    scanIntervalMs: env.REVIEW_SCAN_INTERVAL_MS,
    leaseMs: env.REVIEW_LEASE_MS,
    llm: {
      baseUrl: env.REVIEW_LLM_BASE_URL || undefined,
      model: env.REVIEW_LLM_MODEL,
      apiKey: env.REVIEW_LLM_API_KEY || undefined,
      timeoutMs: env.REVIEW_LLM_TIMEOUT_MS,
      breakerErrorPercent: env.REVIEW_LLM_BREAKER_ERROR_PERCENT,
      breakerVolume: env.REVIEW_LLM_BREAKER_VOLUME,
      breakerResetMs: env.REVIEW_LLM_BREAKER_RESET_MS,
    },
  };
}
