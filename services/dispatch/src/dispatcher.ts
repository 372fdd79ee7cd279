import type { Knex } from 'knex';
import { AuthError, ThrottledError, describeError, isRetriable, type Clock, type Logger } from '@cr/core';
import type { Db } from '@cr/runtime';
import { IN_FLIGHT_STATUSES, retryDelayMs, type OutboundTask, type RetryPolicy } from '@cr/world-model';
import { EngineUnreachable, InteractionUnknown, type EngineClient } from './engine/client.ts';
import { DISPATCH_EVENTS, type DispatchMetrics } from './metrics.ts';
import type { ReadModel } from './read-model.ts';
import type { ChangeMeta, TaskStore } from './task-store.ts';

export interface DispatcherOptions {
  db: Db;
  engine: EngineClient;
  tasks: TaskStore;
  readModel: ReadModel;
  clock: Clock;
  logger: Logger;
  metrics: DispatchMetrics;
  concurrency: number;
  batchSize: number;
  retry: RetryPolicy;
  claimTimeoutMs: number;
  pollMs: number;
  retryOutcomes: readonly string[];
  /** Wakes the outbox after claims commit. */
  onEvents: () => void;
}

const meta = (causationId: string): ChangeMeta => ({ origin: 'agent', causationId });

/**
 * The dispatch loop, one tick: ask running interactions how they went; count
 * what is in flight (all instances); ask the engine for its capacity; claim at
 * most the smaller of the two among the due tasks; start each, with the
 * patient's projected context. A task is never dispatched twice: claims are
 * serialised across instances (advisory lock, rows taken FOR UPDATE SKIP LOCKED),
 * a claimed task is no longer due, and every start carries the attempt id as
 * the engine's idempotency key, so a claim taken over after a crash re-sends
 * the same attempt instead of starting a second interaction.
 */
export function createDispatcher(o: DispatcherOptions): { tick(): Promise<void> } {
  const log = o.logger.child({ component: 'dispatcher' });

  /**
   * Interactions taking a slot: running ones and live claims. An expired claim
   * (its instance died) does not: it is due again, and taking it over re-sends
   * its start, so a crashed instance's claims never hold the slots they block.
   */
  async function inFlight(now: number, q: Knex | Knex.Transaction = o.db): Promise<number> {
    const row = await q('dispatch_tasks').whereIn('status', [...IN_FLIGHT_STATUSES])
      .where((w) => { void w.where('status', 'in_progress').orWhere('claim_expires_at', '>', now); })
      .count<{ n: string }[]>({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  const DUE = `(status in ('scheduled', 'retrying') and next_attempt_at <= ?) or (status = 'dispatching' and claim_expires_at <= ?)`;

  /** A cheap look first: most ticks find nothing due, and then neither ask the engine nor take the claim lock. */
  async function anythingDue(now: number): Promise<boolean> {
    const { rows } = await o.db.raw<{ rows: { due: boolean }[] }>(`select exists (select 1 from dispatch_tasks where ${DUE}) as due`, [now, now]);
    return Boolean(rows[0]?.due);
  }

  async function claim(slots: number): Promise<OutboundTask[]> {
    return o.db.transaction(async (trx) => {
      await trx.raw(`select pg_advisory_xact_lock(hashtext('dispatch-claim'))`);
      const now = o.clock.now().getTime();
      const n = Math.min(slots, o.concurrency - (await inFlight(now, trx)));
      if (n <= 0) return [];
      const { rows } = await trx.raw<{ rows: { state: OutboundTask }[] }>(`
        select state from dispatch_tasks where ${DUE}
        order by priority desc, coalesce(next_attempt_at, 0) asc
        limit ? for update skip locked`, [now, now, n]);
      const claimed: OutboundTask[] = [];
      for (const { state } of rows) {
        const change = state.status === 'dispatching'
          ? await o.tasks.commandLocked(trx, state, { type: 'resume_attempt' }, meta(state.attemptId ?? state.taskId))
          : await o.tasks.commandLocked(trx, state, { type: 'start_attempt', patient: (await o.readModel.patient(state.patient, state.patientRefs))?.entityId ?? state.patient }, meta(state.taskId));
        if (change.task?.status === 'dispatching') claimed.push(change.task);
      }
      return claimed;
    });
  }

  async function startOne(t: OutboundTask): Promise<void> {
    const attemptId = t.attemptId!;
    // The patient was resolved when the task was claimed (and recorded with the attempt): that one, or none.
    const patient = t.patient ? await o.readModel.patient(t.patient, []) : null;
    if (!patient) {
      o.metrics.attempts.inc({ result: 'failed' });
      log.warn({ taskId: t.taskId, attemptId }, DISPATCH_EVENTS.attemptFailed);
      await o.tasks.command(t.taskId, { type: 'record_failure', attemptId, error: 'patient not known yet', retriable: true }, meta(attemptId));
      return;
    }
    const subject = t.subject ? await o.readModel.get(t.subject) : null;
    try {
      const r = await o.engine.start({
        attemptId, taskId: t.taskId, workspaceId: t.workspaceId, purpose: t.purpose, channel: t.channel, priority: t.priority,
        patient: { entityId: patient.entityId, fields: { ...patient.fields } },
        subject: subject ? { entityId: subject.entityId, entityType: subject.entityType, fields: { ...subject.fields } } : null,
      });
      await o.tasks.command(t.taskId, { type: 'record_started', attemptId, interactionId: r.interactionId }, meta(attemptId));
      o.metrics.attempts.inc({ result: 'started' });
      log.info({ taskId: t.taskId, attemptId, interactionId: r.interactionId }, DISPATCH_EVENTS.started);
    } catch (err) {
      const d = describeError(err);
      if (err instanceof EngineUnreachable) {
        // The engine may have the request: keep the claim, and re-send the same attempt (same key) a little later.
        o.metrics.attempts.inc({ result: 'uncertain' });
        log.warn({ taskId: t.taskId, attemptId, error: d.message }, DISPATCH_EVENTS.uncertain);
        await o.tasks.deferClaim(t.taskId, attemptId, o.clock.now().getTime() + Math.min(o.claimTimeoutMs, retryDelayMs(1, attemptId, o.retry)));
        return;
      }
      const throttled = err instanceof ThrottledError;
      o.metrics.attempts.inc({ result: throttled ? 'throttled' : 'failed' });
      log.warn({ taskId: t.taskId, attemptId, errorClass: d.errorClass, error: d.message }, DISPATCH_EVENTS.attemptFailed);
      await o.tasks.command(t.taskId, {
        type: 'record_failure', attemptId, error: d.message, throttled,
        // A refused token is an operator's fix away: keep the task, let it retry.
        retriable: isRetriable(err) || err instanceof AuthError,
        ...(throttled && err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
      }, meta(attemptId));
    }
  }

  async function pollOne(t: OutboundTask): Promise<void> {
    const attemptId = t.attemptId!;
    try {
      const s = await o.engine.status(t.interactionId!);
      if (s.status === 'in_progress' || s.status === 'queued') return;
      const outcome = s.outcome ?? s.status;
      const success = s.status === 'completed' && !o.retryOutcomes.includes(outcome);
      const change = await o.tasks.command(t.taskId, { type: 'record_finished', attemptId, outcome, success }, meta(attemptId));
      // Another instance may have asked first: only the one that recorded it says so.
      if (change.events.length) log.info({ taskId: t.taskId, attemptId, outcome, success }, DISPATCH_EVENTS.finished);
    } catch (err) {
      if (!(err instanceof InteractionUnknown)) return; // asked again at the next poll
      await o.tasks.command(t.taskId, { type: 'record_failure', attemptId, error: 'interaction unknown to the engine', retriable: true }, meta(attemptId));
    }
  }

  async function poll(): Promise<void> {
    const now = o.clock.now().getTime();
    const { rows } = await o.db.raw<{ rows: { state: OutboundTask }[] }>(`
      update dispatch_tasks set next_check_at = ? where task_id in (
        select task_id from dispatch_tasks where status = 'in_progress' and coalesce(next_check_at, 0) <= ?
        order by next_check_at limit 100 for update skip locked)
      returning state`, [now + o.pollMs, now]);
    await Promise.all(rows.map((r) => pollOne(r.state)));
  }

  return {
    async tick() {
      await poll();
      const now = o.clock.now().getTime();
      const busy = await inFlight(now);
      o.metrics.inFlight.set(busy);
      if (busy >= o.concurrency || !(await anythingDue(now))) return;
      let available: number;
      try {
        available = await o.engine.available();
      } catch (err) {
        log.warn({ err: describeError(err) }, DISPATCH_EVENTS.capacityUnknown);
        return;
      }
      o.metrics.engineAvailable.set(available);
      const slots = Math.min(o.concurrency - busy, available, o.batchSize);
      if (slots <= 0) return;
      const claimed = await claim(slots);
      if (claimed.length === 0) return;
      o.onEvents();
      log.info({ claimed: claimed.length, busy, available }, DISPATCH_EVENTS.claimed);
      await Promise.all(claimed.map((t) => startOne(t)));
    },
  };
}
