import type { Histogram } from 'prom-client';
import type { Headers, OutputMessage } from './types.ts';

/**
 * Header carrying when a change was first detected at a source: epoch
 * milliseconds as a decimal string. Ingest sets it on each raw record (its
 * poll or delivery time), the api on each agent or voice write (the request's
 * receipt); every stage's outputs inherit it from the record they came from,
 * so any stage can measure end-to-end latency up to itself.
 */
export const SENSED_AT_HEADER = 'cr-sensed-at';

/** The header's time in ms, or undefined when it is missing or not a positive number. */
export function sensedAtOf(headers: Headers | undefined): number | undefined {
  const raw = headers?.[SENSED_AT_HEADER];
  if (raw === undefined) return undefined;
  const ms = Number(raw);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** Outputs with the input's sensed-at header, except those that set it themselves. Never mutates. */
export function inheritSensedAt(outputs: readonly OutputMessage[], input: Headers | undefined): readonly OutputMessage[] {
  const sensedAt = input?.[SENSED_AT_HEADER];
  if (sensedAt === undefined) return outputs;
  return outputs.map((o) => (o.headers?.[SENSED_AT_HEADER] !== undefined ? o : { ...o, headers: { ...o.headers, [SENSED_AT_HEADER]: sensedAt } }));
}

/** What a finished record needs for its latency, kept until its outputs are acknowledged. */
export interface FinishedRecord {
  /** Broker timestamp of the input, ms. */
  timestamp: number;
  /** Its sensed-at time, ms; undefined: not observed end to end. */
  sensedAt: number | undefined;
}

/** Histograms of one stage, observed once a record's outputs are acknowledged and its offset committed. */
export interface LatencyObserver {
  observe(records: readonly FinishedRecord[], now: number): void;
}

export function latencyObserver(stage: string, histograms: { stage: Histogram<'stage'>; pipeline: Histogram<'stage'> } | undefined): LatencyObserver {
  return {
    observe(records, now) {
      if (!histograms) return;
      for (const r of records) {
        histograms.stage.observe({ stage }, Math.max(0, now - r.timestamp) / 1000);
        if (r.sensedAt !== undefined) histograms.pipeline.observe({ stage }, Math.max(0, now - r.sensedAt) / 1000);
      }
    },
  };
}
