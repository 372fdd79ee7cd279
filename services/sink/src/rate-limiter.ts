import { sleep } from '@cr/core';

export interface RateLimiter {
  /**
   * Waits for the next write slot; `tick` runs at least every second while
   * waiting (consumer heartbeats). Resolves with the milliseconds waited.
   */
  take(tick?: () => Promise<void>): Promise<number>;
}

export interface RateLimiterOptions {
  perSecond: number;
  /** Writes allowed back to back after a quiet spell. */
  burst: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A token bucket per sink: the sink drains its queue at the rate the target
 * takes, whoever writes (real-time path, reconciliation, re-queues). Takers are
 * served in order.
 */
export function createRateLimiter(o: RateLimiterOptions): RateLimiter {
  const now = o.now ?? Date.now;
  const wait = o.sleep ?? sleep;
  let tokens = o.burst;
  let at = now();
  let queue: Promise<unknown> = Promise.resolve();

  const refill = (): void => {
    const t = now();
    tokens = Math.min(o.burst, tokens + ((t - at) / 1000) * o.perSecond);
    at = t;
  };

  async function takeOne(tick?: () => Promise<void>): Promise<number> {
    let waited = 0;
    for (;;) {
      refill();
      if (tokens >= 1) { tokens -= 1; return waited; }
      const ms = Math.max(1, Math.ceil(((1 - tokens) / o.perSecond) * 1000));
      const step = Math.min(ms, 1_000);
      await wait(step);
      waited += step;
      await tick?.();
    }
  }

  return {
    take(tick) {
      const run = queue.then(() => takeOne(tick));
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
