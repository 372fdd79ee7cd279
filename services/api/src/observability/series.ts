/** Time buckets, zero-filled series and percentiles: no I/O, time passed in. */
export type Bucket = 'minute' | 'hour';

export const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000 };

export const bucketStart = (at: number, bucketMs: number): number => Math.floor(at / bucketMs) * bucketMs;

/**
 * The starts of the last `points` buckets, oldest first, the current (still
 * filling) bucket last.
 */
export function bucketStarts(now: number, bucketMs: number, points: number): number[] {
  const last = bucketStart(now, bucketMs);
  return Array.from({ length: points }, (_, i) => last - (points - 1 - i) * bucketMs);
}

export interface ThroughputPoint { at: string; ingested: number; synced: number }

/** One point per bucket, zero where nothing happened. */
export function zeroFilledThroughput(
  now: number, bucketMs: number, points: number,
  ingested: ReadonlyMap<number, number>, synced: ReadonlyMap<number, number>,
): ThroughputPoint[] {
  return bucketStarts(now, bucketMs, points).map((start) => ({
    at: new Date(start).toISOString(), ingested: ingested.get(start) ?? 0, synced: synced.get(start) ?? 0,
  }));
}

export interface LatencySummary { count: number; medianMs: number | null; p95Ms: number | null }
export interface LatencyHour extends LatencySummary { hour: string }

/**
 * Hourly latency for the last `hours` hours (the current one last), every hour
 * present: an hour without writes has count 0 and null percentiles. The
 * percentiles themselves come from the database (percentile_cont), so a busy
 * week is never loaded into memory.
 */
export function zeroFilledLatency(now: number, hours: number, rows: readonly ({ hourStart: number } & LatencySummary)[]): LatencyHour[] {
  const byHour = new Map(rows.map((r) => [r.hourStart, r]));
  return bucketStarts(now, BUCKET_MS.hour, hours).map((start) => {
    const r = byHour.get(start);
    const round = (v: number | null | undefined): number | null => (v === null || v === undefined ? null : Math.round(v));
    return { hour: new Date(start).toISOString(), count: r?.count ?? 0, medianMs: r?.count ? round(r.medianMs) : null, p95Ms: r?.count ? round(r.p95Ms) : null };
  });
}
