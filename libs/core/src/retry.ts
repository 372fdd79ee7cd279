import { PipelineError, isRetriable } from './errors.ts';

export interface RetryOptions {
  /** Attempts in all, including the first. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** 0..1: how much of each delay is randomised. */
  jitter: number;
  /** Called before each wait; log the class and reason here, never a payload. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Defaults live in one tiny place; tests override them. */
export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 6, initialDelayMs: 200, maxDelayMs: 30_000, jitter: 0.3 };

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with jitter; a server's Retry-After wins when it is longer. */
export function backoffDelay(attempt: number, error: unknown, o: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'jitter'>, random = Math.random): number {
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** (attempt - 1));
  const jittered = base * (1 - o.jitter + o.jitter * 2 * random());
  const requested = error instanceof PipelineError ? error.retryAfterMs ?? 0 : 0;
  return Math.round(Math.min(o.maxDelayMs, Math.max(jittered, requested)));
}

/** Runs `fn` until it succeeds, a non-retriable error is thrown, or attempts run out. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: Partial<RetryOptions> = {}): Promise<T> {
  const o = { ...DEFAULT_RETRY, ...options };
  const wait = o.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isRetriable(error) || attempt >= o.maxAttempts) throw error;
      const delayMs = backoffDelay(attempt, error, o, o.random);
      o.onRetry?.({ attempt, delayMs, error });
      await wait(delayMs);
    }
  }
}

/** Parses Retry-After in either form: delta-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
