import type { RateLimitConfig } from '@cr/world-model';

export interface RateLimiter {
  /** Resolves when a request may go out. */
  acquire(): Promise<void>;
}

/** A token bucket: `burst` requests at once, refilled at `requestsPerSecond`. */
export function createRateLimiter(o: RateLimitConfig, now: () => number = Date.now, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))): RateLimiter {
  let tokens = o.burst;
  let last = now();
  let queue: Promise<void> = Promise.resolve();
  const refill = (): void => {
    const t = now();
    tokens = Math.min(o.burst, tokens + ((t - last) / 1000) * o.requestsPerSecond);
    last = t;
  };
  return {
    acquire() {
      // Waiters are served in order, so one slow caller cannot be starved.
      const turn = queue.then(async () => {
        refill();
        while (tokens < 1) {
          await sleep(Math.ceil(((1 - tokens) / o.requestsPerSecond) * 1000));
          refill();
        }
        tokens -= 1;
      });
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}
