import type { ResolvedEvent } from '../types.ts';

export type ReviewRoute = { route: 'pass' } | { route: 'queue'; reason: string };

/** Events at or above the threshold pass; the others wait for review. */
export function routeForReview(resolved: ResolvedEvent, threshold: number): ReviewRoute {
  const c = resolved.event.confidence;
  if (c >= threshold) return { route: 'pass' };
  return { route: 'queue', reason: `confidence ${c} below threshold ${threshold} (origin ${resolved.event.origin})` };
}
