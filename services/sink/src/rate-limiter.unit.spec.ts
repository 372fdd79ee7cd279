import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.ts';

/** A clock that only moves when the limiter sleeps. */
function fakeTime() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => { t += ms; } };
}

describe('rate limiter', () => {
  it('given 5 writes per second and a burst of 1, when 11 writes are taken, then they span 2 seconds', async () => {
    const clock = fakeTime();
    const limiter = createRateLimiter({ perSecond: 5, burst: 1, ...clock });
    const at: number[] = [];
    for (let i = 0; i < 11; i++) { await limiter.take(); at.push(clock.now()); }
    expect(at[0]).toBe(0);
    expect(at[10]).toBe(2_000);
    expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual(Array(10).fill(200));
  });

  it('given a burst of 3 after a quiet spell, when writes are taken, then three go at once and the rest are spaced', async () => {
    const clock = fakeTime();
    const limiter = createRateLimiter({ perSecond: 2, burst: 3, ...clock });
    const at: number[] = [];
    for (let i = 0; i < 5; i++) { await limiter.take(); at.push(clock.now()); }
    expect(at).toEqual([0, 0, 0, 500, 1_000]);
  });

  it('given a slow rate, when a write waits, then the tick runs at least every second', async () => {
    const clock = fakeTime();
    const limiter = createRateLimiter({ perSecond: 0.25, burst: 1, ...clock });
    let ticks = 0;
    await limiter.take();
    await limiter.take(async () => { ticks++; });
    expect(clock.now()).toBe(4_000);
    expect(ticks).toBe(4);
  });
});
