import type { Knex } from 'knex';
import { migrate, type Db } from '@cr/runtime';
import type { ResolvedEvent, ReviewTask } from '@cr/world-model';

/**
 * The review service's own state: events waiting for review, the queue of
 * entities to review (one row per entity: that is the entity-level dedupe), the
 * human tasks, and which events operators decided on.
 */
export interface ReviewStore {
  /** Records a sub-threshold event and (re)schedules its entity; false if already known or decided. */
  enqueue(resolved: ResolvedEvent, now: number, debounceMs: number, maxWaitMs: number): Promise<{ queued: boolean; dueAt: number }>;
  /** Claims up to `limit` entities that are due and not leased by another live instance. */
  claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<{ entityId: string; dueAt: number }[]>;
  pendingEvents(entityId: string): Promise<ResolvedEvent[]>;
  openTask(entityId: string): Promise<ReviewTask | null>;
  /** After the outputs are acknowledged: marks the events reviewed, saves the task, releases the entity. */
  finishRound(entityId: string, claimedDueAt: number, now: number, outcome: { verified: string[]; tasked: string[]; task: ReviewTask | null }): Promise<void>;
  /** Releases a claim without finishing (the round failed; it is tried again later). */
  release(entityId: string): Promise<void>;
  /** Safety net: queues entities that have waiting events but no queue row. */
  requeueOrphans(now: number): Promise<number>;
  nextDueAt(): Promise<number | undefined>;
  task(taskId: string): Promise<ReviewTask | null>;
  /** Records a decision once; returns false when it was already recorded. */
  recordDecision(decisionId: string, taskId: string, eventIds: readonly string[], task: ReviewTask | null): Promise<boolean>;
}

export async function createReviewStore(db: Db): Promise<ReviewStore> {
  await migrate(db, 'review', async (trx) => {
    if (!(await trx.schema.hasTable('review_events'))) {
      await trx.schema.createTable('review_events', (t) => {
        t.text('event_id').primary();
        t.text('entity_id').notNullable();
        t.jsonb('resolved').notNullable();
        t.text('status').notNullable(); // pending | verified | tasked
        t.bigInteger('received_at').notNullable();
        t.index(['entity_id', 'status']);
      });
    }
    if (!(await trx.schema.hasTable('review_queue'))) {
      await trx.schema.createTable('review_queue', (t) => {
        t.text('entity_id').primary();
        t.bigInteger('first_pending_at').notNullable();
        t.bigInteger('due_at').notNullable().index();
        t.bigInteger('lease_until');
        t.text('lease_owner');
      });
    }
    if (!(await trx.schema.hasTable('review_tasks'))) {
      await trx.schema.createTable('review_tasks', (t) => {
        t.text('task_id').primary();
        t.text('entity_id').notNullable();
        t.text('status').notNullable();
        t.jsonb('task').notNullable();
        t.index(['entity_id', 'status']);
      });
    }
    if (!(await trx.schema.hasTable('review_decided_events'))) {
      await trx.schema.createTable('review_decided_events', (t) => {
        t.text('event_id').primary();
        t.text('decision_id').notNullable();
      });
    }
    if (!(await trx.schema.hasTable('review_decisions'))) {
      await trx.schema.createTable('review_decisions', (t) => {
        t.text('decision_id').primary();
        t.text('task_id').notNullable();
      });
    }
  });

  const num = (v: unknown): number => Number(v);
  const saveTask = (trx: Knex.Transaction, task: ReviewTask): Promise<unknown> => trx('review_tasks')
    .insert({ task_id: task.taskId, entity_id: task.entityId, status: task.status, task: JSON.stringify(task) })
    .onConflict('task_id').merge(['status', 'task']);

  return {
    async enqueue(resolved, now, debounceMs, maxWaitMs) {
      return db.transaction(async (trx) => {
        const eventId = resolved.event.eventId;
        if (await trx('review_decided_events').where({ event_id: eventId }).first('event_id')) return { queued: false, dueAt: 0 };
        const inserted = await trx('review_events')
          .insert({ event_id: eventId, entity_id: resolved.entityId, resolved: JSON.stringify(resolved), status: 'pending', received_at: now })
          .onConflict('event_id').ignore().returning('event_id');
        if (inserted.length === 0) return { queued: false, dueAt: 0 };
        // Trailing debounce, capped: a burst keeps pushing the review back, up to maxWait after its first event.
        const row = await trx.raw(
          `insert into review_queue (entity_id, first_pending_at, due_at) values (?, ?, ?)
           on conflict (entity_id) do update set due_at = least(review_queue.first_pending_at + ?, greatest(review_queue.due_at, excluded.due_at))
           returning due_at`,
          [resolved.entityId, now, now + debounceMs, maxWaitMs],
        ) as { rows: { due_at: string }[] };
        return { queued: true, dueAt: num(row.rows[0]!.due_at) };
      });
    },

    async claimDue(owner, now, leaseMs, limit) {
      const r = await db.raw(
        `update review_queue set lease_until = ?, lease_owner = ?
         where entity_id in (
           select entity_id from review_queue
           where due_at <= ? and (lease_until is null or lease_until < ?)
           order by due_at limit ? for update skip locked)
         returning entity_id, due_at`,
        [now + leaseMs, owner, now, now, limit],
      ) as { rows: { entity_id: string; due_at: string }[] };
      return r.rows.map((x) => ({ entityId: x.entity_id, dueAt: num(x.due_at) }));
    },

    async pendingEvents(entityId) {
      const rows = await db('review_events').where({ entity_id: entityId, status: 'pending' }).orderBy([{ column: 'received_at' }, { column: 'event_id' }]).select('resolved');
      return rows.map((r: { resolved: ResolvedEvent }) => r.resolved);
    },

    async openTask(entityId) {
      const row = await db('review_tasks').where({ entity_id: entityId, status: 'open' }).first('task');
      return (row?.task ?? null) as ReviewTask | null;
    },

    async finishRound(entityId, claimedDueAt, now, outcome) {
      await db.transaction(async (trx) => {
        if (outcome.verified.length) await trx('review_events').whereIn('event_id', outcome.verified).update({ status: 'verified' });
        if (outcome.tasked.length) await trx('review_events').whereIn('event_id', outcome.tasked).update({ status: 'tasked' });
        if (outcome.task) await saveTask(trx, outcome.task);
        // Events that arrived during the round keep the entity queued for another round; a
        // race this misses leaves a waiting event without a queue row: the safety net re-queues it.
        const left = await trx('review_events').where({ entity_id: entityId, status: 'pending' }).count({ n: '*' }).first() as { n: string } | undefined;
        if (Number(left?.n ?? 0) === 0) await trx('review_queue').where({ entity_id: entityId, due_at: claimedDueAt }).delete();
        else await trx('review_queue').where({ entity_id: entityId }).update({ first_pending_at: now, due_at: trx.raw('greatest(due_at, ?)', [now]) });
        await trx('review_queue').where({ entity_id: entityId }).update({ lease_until: null, lease_owner: null });
      });
    },

    async release(entityId) {
      await db('review_queue').where({ entity_id: entityId }).update({ lease_until: null, lease_owner: null });
    },

    async requeueOrphans(now) {
      const r = await db.raw(
        `insert into review_queue (entity_id, first_pending_at, due_at)
         select entity_id, min(received_at), ? from review_events e
         where status = 'pending' and not exists (select 1 from review_queue q where q.entity_id = e.entity_id)
         group by entity_id
         on conflict (entity_id) do nothing
         returning entity_id`,
        [now],
      ) as { rows: unknown[] };
      return r.rows.length;
    },

    async nextDueAt() {
      const row = await db('review_queue').min({ due: 'due_at' }).first() as { due: string | null } | undefined;
      return row?.due == null ? undefined : num(row.due);
    },

    async task(taskId) {
      const row = await db('review_tasks').where({ task_id: taskId }).first('task');
      return (row?.task ?? null) as ReviewTask | null;
    },

    async recordDecision(decisionId, taskId, eventIds, task) {
      return db.transaction(async (trx) => {
        const inserted = await trx('review_decisions').insert({ decision_id: decisionId, task_id: taskId }).onConflict('decision_id').ignore().returning('decision_id');
        if (inserted.length === 0) return false;
        if (eventIds.length) {
          await trx('review_decided_events').insert(eventIds.map((event_id) => ({ event_id, decision_id: decisionId }))).onConflict('event_id').merge(['decision_id']);
          // Decided before the judge got to them: they need no automated review any more.
          await trx('review_events').whereIn('event_id', [...eventIds]).where({ status: 'pending' }).update({ status: 'tasked' });
        }
        if (task) await saveTask(trx, task);
        return true;
      });
    },
  };
}
