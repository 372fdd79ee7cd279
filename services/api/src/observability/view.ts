import type { Clock } from '@cr/core';
import { sourceConnection } from './connection.ts';
import { freshnessOf, type Freshness } from './freshness.ts';
import type { LiveState, LiveView } from './live.ts';
import type { ObservabilityReads, OutcomeCounts, PollEvent, ResourceRow } from './reads.ts';
import { BUCKET_MS, bucketStarts, zeroFilledLatency, zeroFilledThroughput, type Bucket, type LatencyHour, type LatencySummary, type ThroughputPoint } from './series.ts';
import { pipelineStatus, type LoopView, type PipelineStatus, type StageView } from './status.ts';
import { OBSERVED_TOPICS } from './writer.ts';

/**
 * The answers of the /v1/pipeline endpoints (README, "Pipeline observability"):
 * database-backed parts always, the live part (heartbeats, lag) when Kafka answers.
 */
export interface LiveInfo { available: boolean; checkedAt: string; error: string | null }

export interface SourceView {
  dataSourceId: string; name: string; type: string; enabled: boolean;
  cadence: { intervalMs: number | null; description: string };
  status: 'healthy' | 'unhealthy' | 'unknown';
  connection: { consecutiveErrors: number; lastErrorClass: string | null; lastError: string | null; unhealthySince: string | null; recoveredAt: string | null };
  lastPoll: { at: string; durationMs: number; fetched: number; emitted: number; cycle: string | null; detail: string | null; resourceType: string } | null;
  freshness: Freshness;
  lastIngestedAt: string | null;
  rates: { perMinute: number; perHour: number; last24h: number };
  resources: { resourceType: string; status: string; consecutiveErrors: number; lastPollAt: string; lastIngestedAt: string | null }[];
}

export interface SinkView { sinkId: string; lag: number | null; outcomes: OutcomeCounts; last24h: OutcomeCounts; lastResultAt: string | null; lastWrittenAt: string | null }

export interface StatusResponse {
  status: PipelineStatus; reasons: string[]; generatedAt: string; live: LiveInfo;
  summary: {
    sources: { total: number; healthy: number; unhealthy: number; fresh: number; stale: number; quiet: number; never: number };
    sinks: { total: number; lagging: number };
    reviewQueue: { open: number };
    lastSyncEvents: number;
  };
  stages: StageView[];
  loops: LoopView[] | null;
}

export interface PipelineView {
  status(): Promise<StatusResponse>;
  sources(): Promise<{ live: LiveInfo; sources: SourceView[] }>;
  /** Undefined for an unknown data source. */
  sourceEvents(id: string, limit: number): Promise<{ dataSourceId: string; events: PollEvent[] } | undefined>;
  sinks(): Promise<{ live: LiveInfo; sinks: SinkView[] }>;
  resolution(): Promise<{ entities: { total: number; byType: Record<string, number> }; multiSourceEntities: number; sourceRecords: number; meanRecordsPerEntity: number; deleted: number }>;
  review(): Promise<{ open: number; oldestOpenAt: string | null; byStatus: Record<string, number> }>;
  throughput(bucket: Bucket, points: number): Promise<{ bucket: Bucket; series: ThroughputPoint[] }>;
  latency(hours: number): Promise<{ action: 'sink_write'; hours: LatencyHour[]; overall: LatencySummary }>;
}

export interface PipelineViewOptions {
  reads: ObservabilityReads;
  live: LiveView;
  clock: Clock;
  startedAt: number;
  heartbeatIntervalMs: number;
  sinkLagThreshold: number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function createPipelineView(o: PipelineViewOptions): PipelineView {
  /** End offsets seen at the first successful check: reading up to them means caught up (latched). */
  let targets: Map<string, Map<number, bigint>> | undefined;
  let caughtUp = false;

  type SinkRows = Awaited<ReturnType<ObservabilityReads['sinks']>>;
  /** The sinks' stored rows (read once) and the live state for their groups. */
  async function sinksAndLive(now: number): Promise<[SinkRows, LiveState]> {
    const rows = await o.reads.sinks(now);
    return [rows, await o.live.check(rows.map((s) => s.sinkId), OBSERVED_TOPICS)];
  }
  const liveInfo = (s: LiveState): LiveInfo => ({ available: s.available, checkedAt: new Date(s.checkedAt).toISOString(), error: s.error });

  async function isCaughtUp(state: LiveState): Promise<boolean | null> {
    if (caughtUp) return true;
    if (!state.available) return null;
    targets ??= state.endOffsets;
    for (const topic of OBSERVED_TOPICS) {
      const stored = await o.reads.storedOffsets(topic);
      for (const [partition, end] of targets.get(topic) ?? []) {
        if (end > 0n && (stored.get(partition) ?? 0n) < end) return false;
      }
    }
    caughtUp = true;
    return true;
  }

  function sourceViews(now: number, sources: Awaited<ReturnType<ObservabilityReads['sources']>>, resources: ResourceRow[], rates: Map<string, number[]>): SourceView[] {
    return sources.map((s) => {
      const mine = resources.filter((r) => r.dataSourceId === s.dataSourceId);
      const conn = sourceConnection(mine);
      const last = [...mine].sort((a, b) => b.lastPollAt - a.lastPollAt)[0];
      const ingested = mine.map((r) => r.lastIngestedAt).filter((t): t is number => t !== null);
      const lastIngestedAt = ingested.length ? Math.max(...ingested) : null;
      const [perMinute = 0, perHour = 0, last24h = 0] = rates.get(s.dataSourceId) ?? [];
      return {
        dataSourceId: s.dataSourceId, name: s.name, type: s.type, enabled: s.enabled,
        cadence: { intervalMs: s.intervalMs, description: s.cadence },
        status: conn.status,
        connection: {
          consecutiveErrors: conn.consecutiveErrors, lastErrorClass: conn.lastErrorClass, lastError: conn.lastError,
          unhealthySince: iso(conn.unhealthySince), recoveredAt: iso(conn.recoveredAt),
        },
        lastPoll: last ? {
          at: new Date(last.lastPollAt).toISOString(), durationMs: last.lastDurationMs, fetched: last.lastFetched, emitted: last.lastEmitted,
          cycle: last.lastCycle, detail: last.lastDetail, resourceType: last.resourceType,
        } : null,
        freshness: freshnessOf(lastIngestedAt, now),
        lastIngestedAt: iso(lastIngestedAt),
        rates: { perMinute, perHour, last24h },
        resources: mine.map((r) => ({ resourceType: r.resourceType, status: r.status, consecutiveErrors: r.consecutiveErrors, lastPollAt: new Date(r.lastPollAt).toISOString(), lastIngestedAt: iso(r.lastIngestedAt) })),
      };
    });
  }

  async function allSources(now: number): Promise<SourceView[]> {
    const [sources, resources, rates] = await Promise.all([
      o.reads.sources(), o.reads.resources(), o.reads.ingestedSince([now - 60_000, now - 3_600_000, now - 86_400_000]),
    ]);
    return sourceViews(now, sources, resources, rates);
  }

  const sinkViews = (rows: SinkRows, state: LiveState): SinkView[] => rows.map((s) => ({
    sinkId: s.sinkId, lag: state.available ? state.sinkLag.get(s.sinkId) ?? null : null,
    outcomes: s.outcomes, last24h: s.last24h, lastResultAt: iso(s.lastResultAt), lastWrittenAt: iso(s.lastWrittenAt),
  }));

  return {
    async status() {
      const now = o.clock.now().getTime();
      const [sinkRows, state] = await sinksAndLive(now);
      const [sources, review, lastSyncEvents, caught] = await Promise.all([
        allSources(now), o.reads.review(), o.reads.lastCycleEvents(now - 3_600_000), isCaughtUp(state),
      ]);
      const sinks = sinkViews(sinkRows, state);
      const loops = state.available ? o.live.loops(now) : null;
      const verdict = pipelineStatus({
        now, startedAt: o.startedAt, heartbeatTimeoutMs: 3 * o.heartbeatIntervalMs, caughtUp: caught,
        live: state, sources, loops, sinks, sinkLagThreshold: o.sinkLagThreshold,
      });
      const count = (f: (s: SourceView) => boolean): number => sources.filter(f).length;
      return {
        status: verdict.status, reasons: verdict.reasons, generatedAt: new Date(now).toISOString(), live: liveInfo(state),
        summary: {
          sources: {
            total: sources.length, healthy: count((s) => s.status === 'healthy'), unhealthy: count((s) => s.status === 'unhealthy'),
            fresh: count((s) => s.freshness === 'fresh'), stale: count((s) => s.freshness === 'stale'), quiet: count((s) => s.freshness === 'quiet'), never: count((s) => s.freshness === 'never'),
          },
          sinks: { total: sinks.length, lagging: sinks.filter((s) => s.lag !== null && s.lag > o.sinkLagThreshold).length },
          reviewQueue: { open: review.open },
          lastSyncEvents,
        },
        stages: verdict.stages,
        loops,
      };
    },

    async sources() {
      const now = o.clock.now().getTime();
      const [, state] = await sinksAndLive(now);
      return { live: liveInfo(state), sources: await allSources(now) };
    },

    async sourceEvents(id, limit) {
      if (!(await o.reads.source(id))) return undefined;
      return { dataSourceId: id, events: await o.reads.pollEvents(id, limit) };
    },

    async sinks() {
      const [rows, state] = await sinksAndLive(o.clock.now().getTime());
      return { live: liveInfo(state), sinks: sinkViews(rows, state) };
    },

    async resolution() {
      const r = await o.reads.resolution();
      return {
        entities: { total: r.total, byType: r.byType }, multiSourceEntities: r.multiSourceEntities, sourceRecords: r.sourceRecords,
        meanRecordsPerEntity: r.total ? Math.round((r.sourceRecords / r.total) * 100) / 100 : 0, deleted: r.deleted,
      };
    },

    async review() {
      const r = await o.reads.review();
      return { open: r.open, oldestOpenAt: iso(r.oldestOpenAt), byStatus: r.byStatus };
    },

    async throughput(bucket, points) {
      const now = o.clock.now().getTime();
      const size = BUCKET_MS[bucket];
      const { ingested, synced } = await o.reads.throughput(bucket, bucketStarts(now, size, points)[0]!);
      return { bucket, series: zeroFilledThroughput(now, size, points, ingested, synced) };
    },

    async latency(hours) {
      const now = o.clock.now().getTime();
      const { hours: rows, overall } = await o.reads.latency(bucketStarts(now, BUCKET_MS.hour, hours)[0]!);
      const round = (v: number | null): number | null => (v === null ? null : Math.round(v));
      return { action: 'sink_write', hours: zeroFilledLatency(now, hours, rows), overall: { count: overall.count, medianMs: round(overall.medianMs), p95Ms: round(overall.p95Ms) } };
    },
  };
}
