import { createDb } from '@cr/runtime';
import type { WorldEvent } from '@cr/world-model';
import { createResolutionStore, type ResolveStats } from '../../../services/resolution/src/store.ts';

export interface PostgresRun {
  entityOf: Map<string, string>;
  seconds: number;
  stats: ResolveStats;
  /** Seconds per phase, summed over the batches. */
  phases: Record<string, number>;
  /** Per-batch seconds at the start and at the end: flat means linear overall. */
  firstBatches: number;
  lastBatches: number;
}

/**
 * The resolution service's store, exactly as the service runs it: batches of
 * events, one transaction each, against Postgres in a fresh schema (dropped after).
 */
export async function resolveInPostgres(events: readonly WorldEvent[], options: { url: string; batchSize: number; linkProbability: number; keep: boolean }): Promise<PostgresRun> {
  const schema = `bench_resolution_${Date.now().toString(36)}`;
  const db = await createDb({ url: options.url, schema, poolMax: 2 });
  try {
    const phases: Record<string, number> = {};
    const store = await createResolutionStore(db, {
      decide: { linkProbability: options.linkProbability },
      onPhase: (p, seconds) => { phases[p] = (phases[p] ?? 0) + seconds; },
    });
    const stats: ResolveStats = { newEntities: 0, links: {}, merges: 0 };
    const batchTimes: number[] = [];
    const started = performance.now();
    for (let i = 0; i < events.length; i += options.batchSize) {
      const t = performance.now();
      const r = await store.resolveBatch(events.slice(i, i + options.batchSize));
      batchTimes.push((performance.now() - t) / 1000);
      stats.newEntities += r.stats.newEntities;
      stats.merges += r.stats.merges;
      for (const [rule, n] of Object.entries(r.stats.links)) stats.links[rule] = (stats.links[rule] ?? 0) + n;
    }
    const seconds = (performance.now() - started) / 1000;
    const keys = events.map((e) => `${e.source.dataSourceId}/${e.source.resourceType}/${e.source.externalId}`);
    const tenth = Math.max(1, Math.floor(batchTimes.length / 10));
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
    return { entityOf: await store.entityOf(keys), seconds, stats, phases, firstBatches: mean(batchTimes.slice(0, tenth)), lastBatches: mean(batchTimes.slice(-tenth)) };
  } finally {
    if (!options.keep) await db.raw(`drop schema if exists "${schema}" cascade`);
    await db.destroy();
  }
}
