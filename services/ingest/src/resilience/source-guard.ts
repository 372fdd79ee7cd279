import { AuthError, describeError, withRetry, type Logger } from '@cr/core';
import type { TokenProvider } from '@cr/fhir';
import type { ResilienceConfig } from '@cr/world-model';
import { Counter, type Registry } from 'prom-client';
import { createSourceBreaker, type SourceBreaker } from './breaker.ts';
import { createRateLimiter, type RateLimiter } from './rate-limiter.ts';
import { INGEST_METRICS, sourceGauges } from '../metrics.ts';

/**
 * The one resilience path every connector's outbound call takes: the source's
 * rate limit, then its circuit breaker, inside retries with exponential backoff
 * and jitter that honour Retry-After. Errors are handled by class:
 *  - transport, throttling: retried (throttling waits at least what the server asked);
 *  - auth: retried once, only when a token provider can mint a fresh token;
 *  - schema, payload, config: never retried; the caller dead-letters or fails the cycle.
 * Every retry logs its class and reason, never a payload.
 */
export interface SourceGuard {
  call<T>(what: string, fn: () => Promise<T>, options?: { auth?: TokenProvider | undefined }): Promise<T>;
  breakerState(): ReturnType<SourceBreaker['state']>;
  shutdown(): void;
}

export interface SourceGuardOptions {
  dataSourceId: string;
  resilience: ResilienceConfig;
  logger: Logger;
  registry: Registry;
  sleep?: (ms: number) => Promise<void>;
  limiter?: RateLimiter;
}

export function createSourceGuard(o: SourceGuardOptions): SourceGuard {
  const log = o.logger.child({ component: 'source-guard' });
  const retries = (o.registry.getSingleMetric(INGEST_METRICS.retries) as Counter<'error_class'> | undefined)
    ?? new Counter({ name: INGEST_METRICS.retries, help: 'Outbound calls retried, by error class', labelNames: ['error_class'], registers: [o.registry] });
  const limiter = o.limiter ?? createRateLimiter(o.resilience.rateLimit);
  const breakerOpen = sourceGauges(o.registry).breakerOpen;
  breakerOpen.set({ data_source: o.dataSourceId }, 0);
  const breaker = createSourceBreaker(o.dataSourceId, o.resilience.breaker, (state) => {
    breakerOpen.set({ data_source: o.dataSourceId }, state === 'open' ? 1 : 0);
    log.warn({ state }, 'ingest.breaker.state');
  });
  const r = o.resilience.retry;

  const attempt = <T>(what: string, fn: () => Promise<T>): Promise<T> => withRetry(async () => {
    await limiter.acquire();
    return breaker.fire(fn);
  }, {
    maxAttempts: r.maxAttempts, initialDelayMs: r.initialDelayMs, maxDelayMs: r.maxDelayMs, jitter: r.jitter,
    ...(o.sleep ? { sleep: o.sleep } : {}),
    onRetry: ({ attempt: n, delayMs, error }) => {
      const d = describeError(error);
      retries.inc({ error_class: d.errorClass });
      log.warn({ what, attempt: n, delayMs, errorClass: d.errorClass, reason: d.message }, 'ingest.retry');
    },
  });

  return {
    async call(what, fn, options = {}) {
      try {
        return await attempt(what, fn);
      } catch (error) {
        if (!(error instanceof AuthError) || !options.auth) throw error;
        // A 401 with a cached token: the token may have been revoked early. One fresh token, one more try.
        options.auth.invalidate();
        retries.inc({ error_class: 'auth' });
        log.warn({ what, attempt: 1, delayMs: 0, errorClass: 'auth', reason: describeError(error).message }, 'ingest.retry');
        return attempt(what, fn);
      }
    },
    breakerState: () => breaker.state(),
    shutdown: () => breaker.shutdown(),
  };
}
