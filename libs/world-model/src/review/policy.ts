import type { ResolvedEvent } from '../types.ts';
import { DEFAULT_THRESHOLDS, eventThreshold, type ThresholdPolicy } from './thresholds.ts';

export type ReviewRoute = { route: 'pass' } | { route: 'queue'; reason: string };

/**
 * Events at or above their threshold pass; the others wait for review. The
 * threshold is the strictest over the event's fields (per entity type and category).
 * A number is taken as a single threshold for everything.
 */
export function routeForReview(resolved: ResolvedEvent, thresholds: ThresholdPolicy | number = DEFAULT_THRESHOLDS): ReviewRoute {
  const policy = typeof thresholds === 'number' ? { default: thresholds, overrides: {} } : thresholds;
  const e = resolved.event;
  if (e.deleted) return { route: 'pass' };
  const threshold = eventThreshold(policy, e.entityType, e.category, Object.keys(e.attributes));
  if (e.confidence >= threshold) return { route: 'pass' };
  return { route: 'queue', reason: `confidence ${e.confidence} below threshold ${threshold} (origin ${e.origin})` };
}
