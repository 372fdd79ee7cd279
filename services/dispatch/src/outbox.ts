import type { Knex } from 'knex';
import type { Logger } from '@cr/core';
import type { Producer } from '@cr/kafka';
import type { Db, LoopHandle } from '@cr/runtime';
import { every, type Loop } from './loop.ts';
import type { DispatchMetrics } from './metrics.ts';

export interface OutboxMessage { topic: string; key: string; value: unknown }

/** Adds messages to the outbox inside the caller's transaction: they leave only if it commits. */
export async function enqueue(trx: Knex.Transaction, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await trx('dispatch_outbox').insert(messages.map((m) => ({ topic: m.topic, key: m.key, value: JSON.stringify(m.value) })));
}

export interface Outbox extends Loop {
  /** Sends what is waiting now (used at shutdown). */
  flush(): Promise<void>;
}

const BATCH = 500;

/**
 * The relay: sends outbox rows to Kafka in order, awaits the acks, then deletes
 * them. One instance relays at a time (a transaction-scoped advisory lock), so
 * the events of one task leave in the order they were decided. A crash between
 * the acks and the delete re-sends: ids are deterministic, consumers skip repeats.
 */
export function createOutbox(o: { db: Db; producer: Producer; logger: Logger; metrics: DispatchMetrics; intervalMs: number; loop?: LoopHandle }): Outbox {
  async function relayOnce(): Promise<number> {
    return o.db.transaction(async (trx) => {
      const { rows: [lock] } = await trx.raw<{ rows: { ok: boolean }[] }>(`select pg_try_advisory_xact_lock(hashtext('dispatch-outbox')) as ok`);
      if (!lock?.ok) return 0;
      const rows = await trx('dispatch_outbox').select('seq', 'topic', 'key', 'value').orderBy('seq').limit(BATCH) as { seq: string; topic: string; key: string; value: unknown }[];
      if (rows.length === 0) return 0;
      await o.producer.sendMany(rows.map((r) => ({ topic: r.topic, key: r.key, value: r.value })));
      await trx('dispatch_outbox').whereIn('seq', rows.map((r) => r.seq)).delete();
      for (const r of rows) o.metrics.outboxSent.inc({ topic: r.topic });
      return rows.length;
    });
  }
  async function drain(): Promise<void> {
    while ((await relayOnce()) === BATCH) { /* more waiting */ }
  }
  const loop = every('outbox', o.intervalMs, drain, o.logger, o.loop);
  return { ...loop, flush: drain };
}
