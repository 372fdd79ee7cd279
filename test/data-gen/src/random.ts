/** A seeded PRNG (mulberry32) and the draws the generator needs: same seed, same data. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  int(min: number, maxInclusive: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Zipf-like pick: earlier items are more frequent (names have skewed frequencies). */
  pickSkewed<T>(items: readonly T[], exponent?: number): T;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const cumulative = new WeakMap<readonly unknown[], Float64Array>();
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    pickSkewed(items, exponent = 0.8) {
      let cdf = cumulative.get(items);
      if (!cdf) {
        cdf = new Float64Array(items.length);
        let sum = 0;
        for (let i = 0; i < items.length; i++) { sum += 1 / (i + 1) ** exponent; cdf[i] = sum; }
        for (let i = 0; i < items.length; i++) cdf[i]! /= sum;
        cumulative.set(items, cdf);
      }
      const u = next();
      let lo = 0;
      let hi = items.length - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid]! < u) lo = mid + 1; else hi = mid; }
      return items[lo]!;
    },
  };
}
