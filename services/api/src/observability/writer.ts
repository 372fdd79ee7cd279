import { TransportError } from '@cr/core';
import { sensedAtOf, TOPICS, type ConsumedRecord } from '@cr/kafka';
import type { Db } from '@cr/runtime';
import type { Knex } from 'knex';
import { cadenceOf } from './cadence.ts';
import { nextTransition } from './connection.ts';
import { BUCKET_MS, bucketStart } from './series.ts';

/** The topics the observability consumer reads. */
export const OBSERVED_TOPICS = [TOPICS.connectorConfig, TOPICS.sourceHealth, TOPICS.sinkResults] as const;

/** Outcomes of a SyncResult, in display order. */
export const SINK_OUTCOMES = ['written', 'unchanged', 'gated', 'dependency_failed', 'failed'] as const;

interface DataSourceValue { id: string; name: string; type: string; enabled: boolean; configJson: string; revision: number | bigint; updatedAt: number | Date }
interface SourceHealthValue {
  dataSourceId: string; resourceType: string; status: string; lastPollAt: number | Date; durationMs: number | bigint;
  recordCount: number; newRecordCount: number; consecutiveErrors: number; lastErrorClass: string | null; lastError: string | null;
  cycle?: string | null; detail?: string | null;
}
interface SyncResultValue { sinkId: string; outcome: string; at: number | Date }

const ms = (v: number | bigint | Date): number => (v instanceof Date ? v.getTime() : Number(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export interface ObservabilityWriter {
  /** Applies the records of one partition (in offset order) exactly once, in one transaction. */
  applyBatch(records: readonly ConsumedRecord<unknown>[]): Promise<void>;
  /** Drops rows past their retention. */
  prune(now: number): Promise<void>;
}

export const RETENTION = {
  pollsMs: 7 * 86_400_000,
  latencyMs: 7 * 86_400_000,
  minuteBucketsMs: 48 * 3_600_000,
  hourBucketsMs: 35 * 86_400_000,
} as const;

export function createObservabilityWriter(db: Db): ObservabilityWriter {
  async function applyConfig(trx: Knex.Transaction, r: ConsumedRecord<unknown>): Promise<void> {
    const v = r.value as DataSourceValue | null;
    if (v === null) {
      if (r.key) await trx('api_obs_sources').where({ data_source_id: r.key }).delete();
      return;
    }
    const cadence = cadenceOf(v);
    await trx('api_obs_sources')
      .insert({ data_source_id: v.id, name: v.name, type: v.type, enabled: v.enabled, interval_ms: cadence.intervalMs, cadence: cadence.description, revision: ms(v.revision) })
      .onConflict('data_source_id').merge();
  }

  async function applyHealth(trx: Knex.Transaction, r: ConsumedRecord<unknown>): Promise<void> {
    const v = r.value as SourceHealthValue | null;
    if (v === null) return;
    const pollAt = ms(v.lastPollAt);
    const durationMs = ms(v.durationMs);
    const endedAt = pollAt + durationMs;
    const failed = v.lastErrorClass !== null || v.lastError !== null;
    await trx('api_obs_polls').insert({
      kafka_partition: r.partition, kafka_offset: r.offset, data_source_id: v.dataSourceId, resource_type: v.resourceType,
      status: v.status, poll_at: pollAt, ended_at: endedAt, duration_ms: durationMs, fetched: v.recordCount, emitted: v.newRecordCount,
      error_class: v.lastErrorClass, error: v.lastError, cycle: v.cycle ?? null, detail: v.detail ?? null,
    }).onConflict(['kafka_partition', 'kafka_offset']).ignore();

    const key = { data_source_id: v.dataSourceId, resource_type: v.resourceType };
    const before = await trx('api_obs_resources').where(key).forUpdate().first();
    const ingestedAt = v.newRecordCount > 0 ? endedAt : null;
    if (before && Number(before.last_poll_at) > pollAt) {
      // A report older than the one shown: it can only move lastIngestedAt.
      if (ingestedAt !== null && (before.last_ingested_at === null || Number(before.last_ingested_at) < ingestedAt)) {
        await trx('api_obs_resources').where(key).update({ last_ingested_at: ingestedAt });
      }
      return;
    }
    const t = nextTransition(before ? { status: before.status, unhealthySince: num(before.unhealthy_since), recoveredAt: num(before.recovered_at) } : undefined, { status: v.status, at: pollAt });
    const lastIngestedAt = Math.max(ingestedAt ?? -1, num(before?.last_ingested_at) ?? -1);
    const row = {
      ...key, status: v.status, consecutive_errors: v.consecutiveErrors,
      last_error_class: failed ? v.lastErrorClass : before?.last_error_class ?? null,
      last_error: failed ? v.lastError : before?.last_error ?? null,
      last_error_at: failed ? pollAt : num(before?.last_error_at),
      unhealthy_since: t.unhealthySince, recovered_at: t.recoveredAt,
      last_poll_at: pollAt, last_ingested_at: lastIngestedAt < 0 ? null : lastIngestedAt,
      last_duration_ms: durationMs, last_fetched: v.recordCount, last_emitted: v.newRecordCount,
      last_cycle: v.cycle ?? null, last_detail: v.detail ?? null,
    };
    await trx('api_obs_resources').insert(row).onConflict(['data_source_id', 'resource_type']).merge();
  }

  async function applyResults(trx: Knex.Transaction, records: readonly ConsumedRecord<unknown>[]): Promise<void> {
    const minutes = new Map<string, { sink_id: string; bucket: number; outcome: string; count: number }>();
    const hours = new Map<string, { sink_id: string; bucket: number; outcome: string; count: number }>();
    const totals = new Map<string, { sink_id: string; outcome: string; count: number; last_at: number }>();
    const latency: { kafka_partition: number; kafka_offset: string; sink_id: string; at: number; latency_ms: number }[] = [];
    const add = (map: typeof minutes, sinkId: string, bucket: number, outcome: string): void => {
      const k = `${sinkId}\n${bucket}\n${outcome}`;
      const e = map.get(k) ?? { sink_id: sinkId, bucket, outcome, count: 0 };
      e.count++;
      map.set(k, e);
    };
    for (const r of records) {
      const v = r.value as SyncResultValue | null;
      if (v === null) continue;
      const at = ms(v.at);
      add(minutes, v.sinkId, bucketStart(at, BUCKET_MS.minute), v.outcome);
      add(hours, v.sinkId, bucketStart(at, BUCKET_MS.hour), v.outcome);
      const k = `${v.sinkId}\n${v.outcome}`;
      const e = totals.get(k) ?? { sink_id: v.sinkId, outcome: v.outcome, count: 0, last_at: at };
      e.count++;
      e.last_at = Math.max(e.last_at, at);
      totals.set(k, e);
      // Sensing-to-action: from the cr-sensed-at header (when ingest detected the change) to the write.
      const sensedAt = sensedAtOf(r.headers);
      if (v.outcome === 'written' && sensedAt !== undefined) {
        latency.push({ kafka_partition: r.partition, kafka_offset: r.offset, sink_id: v.sinkId, at, latency_ms: Math.max(0, at - sensedAt) });
      }
    }
    for (const [table, map] of [['api_obs_sink_minutes', minutes], ['api_obs_sink_hours', hours]] as const) {
      if (map.size) {
        await trx(table).insert([...map.values()]).onConflict(['sink_id', 'bucket', 'outcome'])
          .merge({ count: trx.raw('?? + excluded.count', [`${table}.count`]) });
      }
    }
    if (totals.size) {
      await trx('api_obs_sink_totals').insert([...totals.values()]).onConflict(['sink_id', 'outcome']).merge({
        count: trx.raw('api_obs_sink_totals.count + excluded.count'),
        last_at: trx.raw('greatest(api_obs_sink_totals.last_at, excluded.last_at)'),
      });
    }
    if (latency.length) await trx('api_obs_latency').insert(latency).onConflict(['kafka_partition', 'kafka_offset']).ignore();
  }

  return {
    async applyBatch(records) {
      if (records.length === 0) return;
      const { topic, partition } = records[0]!;
      try {
        await db.transaction(async (trx) => {
          const stored = await trx('api_obs_offsets').where({ topic, kafka_partition: partition }).forUpdate().first('next_offset');
          const from = stored ? BigInt(stored.next_offset) : -1n;
          const fresh = records.filter((r) => BigInt(r.offset) >= from);
          if (fresh.length === 0) return;
          if (topic === TOPICS.connectorConfig) for (const r of fresh) await applyConfig(trx, r);
          else if (topic === TOPICS.sourceHealth) for (const r of fresh) await applyHealth(trx, r);
          else if (topic === TOPICS.sinkResults) await applyResults(trx, fresh);
          const next = (BigInt(fresh[fresh.length - 1]!.offset) + 1n).toString();
          await trx('api_obs_offsets').insert({ topic, kafka_partition: partition, next_offset: next })
            .onConflict(['topic', 'kafka_partition']).merge();
        });
      } catch (error) {
        // The database being away is worth waiting for; the records stay uncommitted until it is back.
        throw new TransportError(`observability read model: ${(error as Error).message.split('\n')[0]}`, { cause: error });
      }
    },

    async prune(now) {
      await db('api_obs_polls').where('ended_at', '<', now - RETENTION.pollsMs).delete();
      await db('api_obs_latency').where('at', '<', now - RETENTION.latencyMs).delete();
      await db('api_obs_sink_minutes').where('bucket', '<', now - RETENTION.minuteBucketsMs).delete();
      await db('api_obs_sink_hours').where('bucket', '<', now - RETENTION.hourBucketsMs).delete();
    },
  };
}
