/**
 * Freshness of a source, from when data last arrived (never from its schedule):
 * a source polled every minute that finds nothing new for two hours is quiet.
 */
export type Freshness = 'fresh' | 'stale' | 'quiet' | 'never';

/** Under this since the last ingested event: fresh. */
export const FRESH_UNDER_MS = 5 * 60_000;
/** Over this: quiet. In between: stale. */
export const QUIET_OVER_MS = 60 * 60_000;

export function freshnessOf(lastIngestedAt: number | null, now: number): Freshness {
  if (lastIngestedAt === null) return 'never';
  const age = now - lastIngestedAt;
  if (age < FRESH_UNDER_MS) return 'fresh';
  if (age <= QUIET_OVER_MS) return 'stale';
  return 'quiet';
}
