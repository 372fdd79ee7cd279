import type { Origin } from './types.ts';

/** Confidence an event carries by where it came from (see ARCHITECTURE.md). */
export const ORIGIN_CONFIDENCE: Record<Origin, number> = {
  ehr_sync: 1.0,
  crm_sync: 1.0,
  operator: 1.0,
  scrape: 0.7,
  voice: 0.5,
  agent: 0.4,
};

/** Default threshold at or above which a value counts as verified without review. */
export const DEFAULT_VERIFIED_THRESHOLD = 0.9;

export function confidenceFor(origin: string): number {
  return ORIGIN_CONFIDENCE[origin as Origin] ?? 0;
}
