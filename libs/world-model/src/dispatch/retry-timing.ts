import { z } from 'zod';
import { positiveDurationSchema } from './duration.ts';

export interface RetryPolicy {
  /** Attempts in all, the first included; throttled attempts do not count. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** 0..1: how much of each delay is spread, so retries of many tasks do not fall together. */
  jitter: number;
}

export const DEFAULT_TASK_RETRY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 60_000, maxDelayMs: 3_600_000, jitter: 0.2 };

export const retryPolicySchema = z.object({
  maxAttempts: z.number().int().min(1).max(50).default(DEFAULT_TASK_RETRY.maxAttempts),
  initialDelay: positiveDurationSchema.default(DEFAULT_TASK_RETRY.initialDelayMs),
  maxDelay: positiveDurationSchema.default(DEFAULT_TASK_RETRY.maxDelayMs),
  jitter: z.number().min(0).max(1).default(DEFAULT_TASK_RETRY.jitter),
}).strict().transform((r): RetryPolicy => ({ maxAttempts: r.maxAttempts, initialDelayMs: r.initialDelay, maxDelayMs: r.maxDelay, jitter: r.jitter }));

/** A number in [0, 1) from a string (FNV-1a): the same attempt always gets the same jitter. */
function unitHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 2 ** 32;
}

/**
 * Backoff before the retry after the `failures`-th failed attempt: exponential,
 * capped, with a jitter fixed by the attempt id (deterministic: a replay gives
 * the same schedule); the engine's Retry-After wins when it is longer.
 */
export function retryDelayMs(failures: number, attemptId: string, policy: RetryPolicy, retryAfterMs = 0): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, failures - 1));
  const jittered = base * (1 - policy.jitter + policy.jitter * 2 * unitHash(attemptId));
  return Math.round(Math.max(jittered, retryAfterMs));
}
