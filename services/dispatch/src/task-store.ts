import type { Knex } from 'knex';
import type { Clock, Logger } from '@cr/core';
import { TOPICS } from '@cr/kafka';
import type { Db } from '@cr/runtime';
import {
  handleTask, taskEventKey, taskWorldEvent,
  type OutboundTask, type RetryPolicy, type TaskCommand, type TaskEvent, type TaskEventMeta,
} from '@cr/world-model';
import { DISPATCH_EVENTS, type DispatchMetrics } from './metrics.ts';
import { enqueue } from './outbox.ts';

export type ChangeMeta = Omit<TaskEventMeta, 'recordedAt'>;
export interface TaskChange { task: OutboundTask | null; events: TaskEvent[] }

export interface TaskStore {
  /** One command on one task, under its lock, in its own transaction: state, attempt rows and events commit together. */
  command(taskId: string, command: TaskCommand, meta: ChangeMeta): Promise<TaskChange>;
  /** The same on a task the caller has locked, inside the caller's transaction. */
  commandLocked(trx: Knex.Transaction, current: OutboundTask, command: TaskCommand, meta: ChangeMeta): Promise<TaskChange>;
  /** Takes a task first seen on entity.state (api-created, or a rebuild); true when it was new or newer. No events. */
  adopt(task: OutboundTask, entityId: string): Promise<boolean>;
  /** Leaves a claim in place but lets it be taken over from `until` (the engine may have the request). */
  deferClaim(taskId: string, attemptId: string, until: number): Promise<void>;
  get(taskId: string): Promise<OutboundTask | null>;
}

export interface TaskStoreOptions {
  db: Db;
  clock: Clock;
  retry: RetryPolicy;
  instanceId: string;
  claimTimeoutMs: number;
  pollMs: number;
  logger: Logger;
  metrics: DispatchMetrics;
  /** Called after a transaction that wrote events commits (wakes the outbox relay). */
  onEvents: () => void;
}

export function createTaskStore(o: TaskStoreOptions): TaskStore {
  const log = o.logger.child({ component: 'tasks' });

  async function save(trx: Knex.Transaction, t: OutboundTask, now: number, entityId?: string): Promise<void> {
    const row = {
      task_id: t.taskId, workspace_id: t.workspaceId, status: t.status, priority: t.priority, next_attempt_at: t.nextAttemptAt,
      claim_expires_at: t.status === 'dispatching' ? now + o.claimTimeoutMs : null,
      claimed_by: t.status === 'dispatching' || t.status === 'in_progress' ? o.instanceId : null,
      next_check_at: t.status === 'in_progress' ? now + o.pollMs : null,
      created_by: t.createdBy, patient: t.patient, subject: t.subject, revision: t.revision, state: JSON.stringify(t),
      ...(entityId ? { entity_id: entityId } : {}),
    };
    await trx('dispatch_tasks').insert(row).onConflict('task_id').merge();
  }

  async function recordAttempt(trx: Knex.Transaction, e: TaskEvent, t: OutboundTask, now: number): Promise<void> {
    const attempts = trx('dispatch_attempts');
    switch (e.type) {
      case 'attempt_started':
        await attempts.insert({ attempt_id: e.attemptId, task_id: t.taskId, attempt: e.attempt, instance_id: o.instanceId, claimed_at: now }).onConflict('attempt_id').ignore();
        return;
      case 'interaction_started':
        await attempts.where({ attempt_id: e.attemptId }).update({ result: 'started', interaction_id: e.interactionId });
        return;
      case 'attempt_failed':
        await attempts.where({ attempt_id: e.attemptId }).update({ result: e.throttled ? 'throttled' : 'failed', error: e.error.slice(0, 500), finished_at: now });
        return;
      case 'task_completed':
        await attempts.where({ attempt_id: e.attemptId }).update({ result: e.outcome, finished_at: now });
        return;
      default:
    }
  }

  async function commandLocked(trx: Knex.Transaction, current: OutboundTask | null, command: TaskCommand, meta: ChangeMeta): Promise<TaskChange> {
    const now = o.clock.now().getTime();
    const { events, steps, state } = handleTask(current, command, { now, retry: o.retry });
    if (events.length === 0 || !state) return { task: current, events };
    await save(trx, state, now);
    for (const [i, e] of events.entries()) await recordAttempt(trx, e, steps[i]!, now);
    await enqueue(trx, events.map((e, i) => ({
      topic: TOPICS.worldEvents, key: taskEventKey(state.taskId), value: taskWorldEvent(steps[i]!, e, { ...meta, recordedAt: now }),
    })));
    for (const e of events) o.metrics.taskEvents.inc({ change: e.type });
    return { task: state, events };
  }

  async function locked(trx: Knex.Transaction, taskId: string): Promise<OutboundTask | null> {
    // The advisory lock covers a task that does not exist yet (two creators at once); the row lock, claims.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`dispatch-task:${taskId}`]);
    const row = await trx('dispatch_tasks').where({ task_id: taskId }).forUpdate().first('state') as { state: OutboundTask } | undefined;
    return row?.state ?? null;
  }

  return {
    async command(taskId, command, meta) {
      if (command.type === 'cancel' && !(await o.db('dispatch_tasks').where({ task_id: taskId }).first('task_id'))) return { task: null, events: [] };
      const change = await o.db.transaction(async (trx) => commandLocked(trx, await locked(trx, taskId), command, meta));
      if (change.events.length) o.onEvents();
      return change;
    },

    commandLocked: async (trx, current, command, meta) => commandLocked(trx, current, command, meta),

    async adopt(task, entityId) {
      return o.db.transaction(async (trx) => {
        const current = await locked(trx, task.taskId);
        if (current && current.revision >= task.revision) {
          await trx('dispatch_tasks').where({ task_id: task.taskId }).whereNull('entity_id').update({ entity_id: entityId });
          return false;
        }
        await save(trx, task, o.clock.now().getTime(), entityId);
        log.info({ taskId: task.taskId, entityId, revision: task.revision, status: task.status }, DISPATCH_EVENTS.adopted);
        return true;
      });
    },

    async deferClaim(taskId, attemptId, until) {
      await o.db('dispatch_tasks').where({ task_id: taskId, status: 'dispatching' }).whereRaw(`state->>'attemptId' = ?`, [attemptId]).update({ claim_expires_at: until });
    },

    async get(taskId) {
      const row = await o.db('dispatch_tasks').where({ task_id: taskId }).first('state') as { state: OutboundTask } | undefined;
      return row?.state ?? null;
    },
  };
}
