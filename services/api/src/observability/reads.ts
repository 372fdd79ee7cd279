import type { Db } from '@cr/runtime';
import type { ResourceHealth } from './connection.ts';
import { BUCKET_MS, type Bucket, type LatencySummary } from './series.ts';
import { SINK_OUTCOMES } from './writer.ts';

/** Queries over the observability tables, the review queue and the projection's entity_state. */
export interface SourceRow {
  dataSourceId: string; name: string; type: string; enabled: boolean; intervalMs: number | null; cadence: string;
}
export interface ResourceRow extends ResourceHealth {
  dataSourceId: string;
  lastDurationMs: number; lastFetched: number; lastEmitted: number; lastCycle: string | null; lastDetail: string | null;
}
export interface PollEvent {
  at: string; resourceType: string; status: string; cycle: string | null; durationMs: number; fetched: number; emitted: number;
  errorClass: string | null; error: string | null; detail: string | null;
}
export type OutcomeCounts = Record<(typeof SINK_OUTCOMES)[number], number>;
export interface SinkRow { sinkId: string; outcomes: OutcomeCounts; last24h: OutcomeCounts; lastResultAt: number | null; lastWrittenAt: number | null }

export interface ObservabilityReads {
  sources(): Promise<SourceRow[]>;
  source(id: string): Promise<SourceRow | undefined>;
  resources(): Promise<ResourceRow[]>;
  /** Events ingested (emitted by polls that ended) since each cutoff, per source. */
  ingestedSince(cutoffs: readonly number[]): Promise<Map<string, number[]>>;
  /** Sum of what each resource's last poll emitted, for polls that ended at or after `since`. */
  lastCycleEvents(since: number): Promise<number>;
  pollEvents(dataSourceId: string, limit: number): Promise<PollEvent[]>;
  sinks(now: number): Promise<SinkRow[]>;
  throughput(bucket: Bucket, from: number): Promise<{ ingested: Map<number, number>; synced: Map<number, number> }>;
  latency(from: number): Promise<{ hours: ({ hourStart: number } & LatencySummary)[]; overall: LatencySummary }>;
  review(): Promise<{ open: number; oldestOpenAt: number | null; byStatus: Record<string, number> }>;
  resolution(): Promise<{ total: number; byType: Record<string, number>; multiSourceEntities: number; sourceRecords: number; deleted: number }>;
  /** Next offset stored per partition of a consumed topic. */
  storedOffsets(topic: string): Promise<Map<number, bigint>>;
}

const n = (v: unknown): number => Number(v ?? 0);
const nOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const zeroCounts = (): OutcomeCounts => Object.fromEntries(SINK_OUTCOMES.map((o) => [o, 0])) as OutcomeCounts;

export function createObservabilityReads(db: Db): ObservabilityReads {
  const sourceOf = (r: Record<string, unknown>): SourceRow => ({
    dataSourceId: String(r.data_source_id), name: String(r.name), type: String(r.type), enabled: Boolean(r.enabled),
    intervalMs: nOrNull(r.interval_ms), cadence: String(r.cadence),
  });
  return {
    async sources() {
      return (await db('api_obs_sources').orderBy('data_source_id')).map(sourceOf);
    },

    async source(id) {
      const row = await db('api_obs_sources').where({ data_source_id: id }).first();
      return row ? sourceOf(row) : undefined;
    },

    async resources() {
      const rows = await db('api_obs_resources').orderBy(['data_source_id', 'resource_type']);
      return rows.map((r: Record<string, unknown>) => ({
        dataSourceId: String(r.data_source_id), resourceType: String(r.resource_type),
        status: r.status === 'unhealthy' ? 'unhealthy' : 'healthy',
        consecutiveErrors: n(r.consecutive_errors), lastErrorClass: (r.last_error_class as string | null) ?? null, lastError: (r.last_error as string | null) ?? null,
        lastErrorAt: nOrNull(r.last_error_at), unhealthySince: nOrNull(r.unhealthy_since), recoveredAt: nOrNull(r.recovered_at),
        lastPollAt: n(r.last_poll_at), lastIngestedAt: nOrNull(r.last_ingested_at),
        lastDurationMs: n(r.last_duration_ms), lastFetched: n(r.last_fetched), lastEmitted: n(r.last_emitted),
        lastCycle: (r.last_cycle as string | null) ?? null, lastDetail: (r.last_detail as string | null) ?? null,
      }));
    },

    async ingestedSince(cutoffs) {
      const oldest = Math.min(...cutoffs);
      const sums = cutoffs.map((c, i) => db.raw(`coalesce(sum(emitted) filter (where ended_at >= ?), 0) as s${i}`, [c]));
      const rows = await db('api_obs_polls').where('ended_at', '>=', oldest).groupBy('data_source_id').select('data_source_id', ...sums);
      return new Map(rows.map((r: Record<string, unknown>) => [String(r.data_source_id), cutoffs.map((_, i) => n(r[`s${i}`]))]));
    },

    async lastCycleEvents(since) {
      const row = await db('api_obs_resources').where('last_poll_at', '>=', since).sum({ s: 'last_emitted' }).first();
      return n(row?.s);
    },

    async pollEvents(dataSourceId, limit) {
      const rows = await db('api_obs_polls').where({ data_source_id: dataSourceId })
        .orderBy([{ column: 'poll_at', order: 'desc' }, { column: 'kafka_offset', order: 'desc' }]).limit(limit);
      return rows.map((r: Record<string, unknown>) => ({
        at: new Date(n(r.poll_at)).toISOString(), resourceType: String(r.resource_type), status: String(r.status), cycle: (r.cycle as string | null) ?? null,
        durationMs: n(r.duration_ms), fetched: n(r.fetched), emitted: n(r.emitted),
        errorClass: (r.error_class as string | null) ?? null, error: (r.error as string | null) ?? null, detail: (r.detail as string | null) ?? null,
      }));
    },

    async sinks(now) {
      const [totals, day] = await Promise.all([
        db('api_obs_sink_totals').select('sink_id', 'outcome', 'count', 'last_at'),
        db('api_obs_sink_minutes').where('bucket', '>=', now - 86_400_000).groupBy('sink_id', 'outcome').select('sink_id', 'outcome').sum({ c: 'count' }),
      ]);
      const sinks = new Map<string, SinkRow>();
      const sink = (id: string): SinkRow => {
        let s = sinks.get(id);
        if (!s) { s = { sinkId: id, outcomes: zeroCounts(), last24h: zeroCounts(), lastResultAt: null, lastWrittenAt: null }; sinks.set(id, s); }
        return s;
      };
      for (const r of totals as Record<string, unknown>[]) {
        const s = sink(String(r.sink_id));
        const outcome = String(r.outcome) as keyof OutcomeCounts;
        if (outcome in s.outcomes) s.outcomes[outcome] += n(r.count);
        const at = n(r.last_at);
        s.lastResultAt = Math.max(s.lastResultAt ?? at, at);
        if (outcome === 'written') s.lastWrittenAt = at;
      }
      for (const r of day as Record<string, unknown>[]) {
        const s = sink(String(r.sink_id));
        const outcome = String(r.outcome) as keyof OutcomeCounts;
        if (outcome in s.last24h) s.last24h[outcome] += n(r.c);
      }
      return [...sinks.values()].sort((a, b) => a.sinkId.localeCompare(b.sinkId));
    },

    async throughput(bucket, from) {
      const size = BUCKET_MS[bucket];
      const [ingested, synced] = await Promise.all([
        db('api_obs_polls').where('ended_at', '>=', from)
          .select(db.raw('(ended_at / ?) * ? as b', [size, size])).sum({ c: 'emitted' }).groupByRaw('1'),
        db(bucket === 'minute' ? 'api_obs_sink_minutes' : 'api_obs_sink_hours').where('bucket', '>=', from).andWhere({ outcome: 'written' })
          .select('bucket as b').sum({ c: 'count' }).groupBy('bucket'),
      ]);
      const toMap = (rows: Record<string, unknown>[]): Map<number, number> => new Map(rows.map((r) => [n(r.b), n(r.c)]));
      return { ingested: toMap(ingested as Record<string, unknown>[]), synced: toMap(synced as Record<string, unknown>[]) };
    },

    async latency(from) {
      const pct = 'count(*) as count, percentile_cont(0.5) within group (order by latency_ms) as median, percentile_cont(0.95) within group (order by latency_ms) as p95';
      const [hours, overall] = await Promise.all([
        db('api_obs_latency').where('at', '>=', from).select(db.raw(`(at / 3600000) * 3600000 as hour_start, ${pct}`)).groupByRaw('1'),
        db('api_obs_latency').where('at', '>=', from).select(db.raw(pct)).first(),
      ]);
      const summary = (r: Record<string, unknown> | undefined): LatencySummary => ({ count: n(r?.count), medianMs: nOrNull(r?.median), p95Ms: nOrNull(r?.p95) });
      return {
        hours: (hours as Record<string, unknown>[]).map((r) => ({ hourStart: n(r.hour_start), ...summary(r) })),
        overall: summary(overall as Record<string, unknown> | undefined),
      };
    },

    async review() {
      const [byStatus, oldest] = await Promise.all([
        db('api_review_tasks').groupBy('status').select('status').count({ c: '*' }),
        db('api_review_tasks').where({ status: 'open' }).min({ m: 'created_at' }).first(),
      ]);
      const counts = Object.fromEntries((byStatus as Record<string, unknown>[]).map((r) => [String(r.status), n(r.c)]));
      return { open: counts.open ?? 0, oldestOpenAt: nOrNull(oldest?.m), byStatus: counts };
    },

    async resolution() {
      // The projection owns entity_state; before it has created the table there is nothing to count.
      if (!(await db.schema.hasTable('entity_state'))) return { total: 0, byType: {}, multiSourceEntities: 0, sourceRecords: 0, deleted: 0 };
      const [byType, totals] = await Promise.all([
        db('entity_state').where({ deleted: false }).groupBy('entity_type').select('entity_type').count({ c: '*' }),
        db('entity_state').select(db.raw(`
          count(*) filter (where not deleted) as total,
          count(*) filter (where deleted) as deleted,
          coalesce(sum(jsonb_array_length(coalesce(state->'sourceRefs', '[]'::jsonb))) filter (where not deleted), 0) as source_records,
          count(*) filter (where not deleted and (select count(distinct ref->>'dataSourceId') from jsonb_array_elements(coalesce(state->'sourceRefs', '[]'::jsonb)) ref) > 1) as multi`)).first(),
      ]);
      const t = totals as Record<string, unknown> | undefined;
      return {
        total: n(t?.total), deleted: n(t?.deleted), sourceRecords: n(t?.source_records), multiSourceEntities: n(t?.multi),
        byType: Object.fromEntries((byType as Record<string, unknown>[]).map((r) => [String(r.entity_type), n(r.c)])),
      };
    },

    async storedOffsets(topic) {
      const rows = await db('api_obs_offsets').where({ topic }).select('kafka_partition', 'next_offset');
      return new Map(rows.map((r: Record<string, unknown>) => [n(r.kafka_partition), BigInt(String(r.next_offset))]));
    },
  };
}
