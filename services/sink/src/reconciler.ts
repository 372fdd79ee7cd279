import { describeError, type Logger } from '@cr/core';
import { TOPICS, type KafkaRuntime } from '@cr/kafka';
import type { Db, LoopHandle } from '@cr/runtime';
import { reconcilePlan, type EntityState, type LatestState } from '@cr/world-model';
import type { SyncContext } from './sync.ts';
import type { WorkQueue } from './work-queue.ts';

export interface Reconciler {
  /** One cycle now (also what each tick does); resolves with what it re-queued. */
  cycle(): Promise<{ states: number; requeued: number } | undefined>;
  stop(): Promise<void>;
}

/**
 * The safety net behind the real-time path. Periodically, on one instance per
 * sink (a lease in Postgres), it streams entity.state from the beginning, compares
 * the latest version of each entity with the sink's ledger and re-queues what
 * should have synced and did not: never handled (a crash, a lost message),
 * behind, waiting on a dependency now written, or written but not yet read back
 * (the re-queued sync reads the target's record and writes again if the target
 * dropped the write). Bounded: at most `maxPerCycle` entities per cycle.
 */
export function startReconciler(o: { ctx: SyncContext; kafka: KafkaRuntime; db: Db; queue: WorkQueue; instanceId: string; logger: Logger; isFailing: () => boolean; loop?: LoopHandle }): Reconciler {
  const { config: c } = o.ctx;
  const log = o.logger.child({ component: 'reconciler', sinkId: c.id });
  const leaseMs = c.reconcile.intervalMs * 3;
  let inFlight: Promise<unknown> | undefined;

  async function holdLease(): Promise<boolean> {
    const r = await o.db.raw(`
      insert into sink_leases as l (sink_id, name, holder, expires_at) values (?, 'reconcile', ?, now() + (? || ' milliseconds')::interval)
      on conflict (sink_id, name) do update set holder = excluded.holder, expires_at = excluded.expires_at
        where l.holder = excluded.holder or l.expires_at < now()
      returning holder`, [c.id, o.instanceId, String(leaseMs)]);
    return (r.rows as unknown[]).length > 0;
  }

  async function cycle(): Promise<{ states: number; requeued: number } | undefined> {
    if (o.queue.size > 0 || !(await holdLease())) return undefined;
    if (o.isFailing()) return undefined; // the target is down: the real-time path is already retrying
    // Where the ledger stands, read first: only states the ledger is behind on are kept whole.
    const positions = await o.ctx.ledger.positions();
    // Where the real-time path stands: a state past its committed offset is backlog, not missed.
    const committed = new Map((await o.kafka.admin.committedOffsets(`sink-${c.id}`, TOPICS.entityState)).map((p) => [p.partition, BigInt(p.offset)]));
    // Folded while reading, never held as a whole topic: per entity its latest version, and
    // its state only when the sink's copy may be older (to bring the copy up to date).
    const latest = new Map<string, LatestState>();
    const newer = new Map<string, EntityState>();
    await o.kafka.forEachRecord<EntityState | null>(TOPICS.entityState, (r) => {
      const id = r.key ?? r.value?.entityId;
      if (!id) return;
      if (r.value === null) { latest.delete(id); newer.delete(id); return; }
      const had = latest.get(id);
      if (had && had.version > r.value.version) return;
      latest.set(id, { entityId: id, entityType: r.value.entityType, version: r.value.version, consumed: BigInt(r.offset) < (committed.get(r.partition) ?? -1n) });
      if ((positions.get(id)?.lastVersion ?? -1) < r.value.version) newer.set(id, r.value);
      else newer.delete(id);
    }, { timeoutMs: Math.max(10_000, c.reconcile.intervalMs) });
    const plan = reconcilePlan({
      latest: [...latest.values()], positions, entityTypes: c.entityTypes, inTarget: await o.ctx.ledger.inTarget(),
      readBack: c.reconcile.readBack, max: c.reconcile.maxPerCycle,
    });
    for (const item of plan) {
      // Keep the sink's copy current, so the re-queued entity syncs from its latest state.
      const found = newer.get(item.entityId);
      if (found) await o.ctx.entities.save(found);
      o.queue.push(item.entityId, item.reason);
    }
    const byReason = plan.reduce<Record<string, number>>((acc, p) => ({ ...acc, [p.reason]: (acc[p.reason] ?? 0) + 1 }), {});
    log.info({ states: latest.size, requeued: plan.length, byReason }, 'sink.reconcile.cycle');
    return { states: latest.size, requeued: plan.length };
  }

  const timer = setInterval(() => {
    if (inFlight) return;
    o.loop?.running();
    inFlight = cycle().catch((error: unknown) => log.warn(describeError(error), 'sink.reconcile.failed')).finally(() => { inFlight = undefined; o.loop?.idle(); });
  }, c.reconcile.intervalMs);
  timer.unref();

  return {
    cycle,
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
