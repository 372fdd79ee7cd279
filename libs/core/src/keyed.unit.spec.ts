import { describe, expect, it } from 'vitest';
import { mapKeyed } from './keyed.ts';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('mapKeyed', () => {
  it('runs different keys in parallel up to the limit, one key in order, and returns results in the items order', async () => {
    const items = ['a1', 'b1', 'a2', 'c1', 'b2', 'a3', 'd1'];
    let inFlight = 0;
    let peak = 0;
    const started: string[] = [];
    const out = await mapKeyed(items, (s) => s[0]!, 2, async (s) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      started.push(s);
      await tick(5);
      inFlight--;
      return s.toUpperCase();
    });
    expect(out).toEqual(items.map((s) => s.toUpperCase()));
    expect(peak).toBe(2);
    for (const key of ['a', 'b']) expect(started.filter((s) => s[0] === key)).toEqual(items.filter((s) => s[0] === key));
  });

  it('gives a failed item its Error and goes on with the rest, its key included', async () => {
    const out = await mapKeyed(['x1', 'x2', 'y1'], (s) => s[0]!, 4, async (s) => {
      if (s === 'x1') throw new Error('boom');
      return s;
    });
    expect(out[0]).toBeInstanceOf(Error);
    expect(out.slice(1)).toEqual(['x2', 'y1']);
  });

  it('returns nothing for no items', async () => {
    expect(await mapKeyed([], () => 'k', 3, async () => 1)).toEqual([]);
  });
});
