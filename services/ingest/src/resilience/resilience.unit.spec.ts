import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { AuthError, PayloadError, ThrottledError, TransportError, createLogger } from '@cr/core';
import { resilienceSchema } from '@cr/world-model';
import { createRateLimiter } from './rate-limiter.ts';
import { createSourceGuard } from './source-guard.ts';

const silent = createLogger({ name: 'test', level: 'silent' });

function guard(overrides: Record<string, unknown> = {}) {
  const waits: number[] = [];
  const g = createSourceGuard({
    dataSourceId: 's', logger: silent, registry: new Registry(), sleep: async (ms) => { waits.push(ms); },
    resilience: resilienceSchema.parse({ retry: { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 10_000, jitter: 0 }, breaker: { volumeThreshold: 100 }, rateLimit: { requestsPerSecond: 1_000, burst: 1_000 }, ...overrides }),
  });
  return { g, waits };
}

describe('source guard', () => {
  it('retries transport errors with exponential backoff, and waits at least what Retry-After asks', async () => {
    const { g, waits } = guard();
    let n = 0;
    const result = await g.call('x', async () => {
      n++;
      if (n === 1) throw new TransportError('reset');
      if (n === 2) throw new ThrottledError('429', { retryAfterMs: 3_000 });
      if (n === 3) throw new TransportError('503');
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(waits).toEqual([100, 3_000, 400]);
    g.shutdown();
  });

  it('never retries payload errors, and retries an auth error once only with a token provider to refresh', async () => {
    const { g } = guard();
    let payloadCalls = 0;
    await expect(g.call('x', async () => { payloadCalls++; throw new PayloadError('bad'); })).rejects.toThrow('bad');
    expect(payloadCalls).toBe(1);
    let authCalls = 0;
    await expect(g.call('x', async () => { authCalls++; throw new AuthError('401'); })).rejects.toThrow('401');
    expect(authCalls).toBe(1);
    let invalidated = 0;
    let withProvider = 0;
    const v = await g.call('x', async () => { withProvider++; if (withProvider === 1) throw new AuthError('401'); return 'fresh'; }, { auth: { token: async () => 't', invalidate: () => { invalidated++; } } });
    expect([v, withProvider, invalidated]).toEqual(['fresh', 2, 1]);
    g.shutdown();
  });

  it('opens the circuit after repeated transport failures and then fails fast without calling the source', async () => {
    const { g } = guard({ retry: { maxAttempts: 1 }, breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 } });
    let calls = 0;
    for (let i = 0; i < 3; i++) await g.call('x', async () => { calls++; throw new TransportError('down'); }).catch(() => undefined);
    await expect(g.call('x', async () => { calls++; return 1; })).rejects.toThrow(/circuit open/);
    expect(calls).toBe(3);
    expect(g.breakerState()).toBe('open');
    g.shutdown();
  });
});

describe('rate limiter', () => {
  it('lets a burst through, then paces requests at the configured rate', async () => {
    let t = 0;
    const limiter = createRateLimiter({ requestsPerSecond: 2, burst: 3 }, () => t, async (ms) => { t += ms; });
    for (let i = 0; i < 7; i++) await limiter.acquire();
    // 3 at once, then 4 more at 2 per second.
    expect(t).toBe(2_000);
  });
});
