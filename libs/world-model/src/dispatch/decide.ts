import type { TaskCommand, TaskEvent } from './events.ts';
import { evolveTask } from './evolve.ts';
import { retryDelayMs, type RetryPolicy } from './retry-timing.ts';
import { attemptIdOf, WAITING_STATUSES, type OutboundTask, type TaskSpec } from './task.ts';

export interface DecideContext {
  /** The clock, as data. */
  now: number;
  retry: RetryPolicy;
}

const waiting = (s: OutboundTask): boolean => WAITING_STATUSES.includes(s.status);
const inFlight = (s: OutboundTask, attemptId: string): boolean => (s.status === 'dispatching' || s.status === 'in_progress') && s.attemptId === attemptId;

function schedule(s: OutboundTask | null, spec: TaskSpec, reason: string, at: number, now: number): TaskEvent[] {
  if (spec.expiresAt !== null && spec.expiresAt <= now) return []; // already pointless: not (re)opened
  if (!s) return [{ type: 'task_scheduled', at, spec }];
  const moved = s.dueAt !== spec.dueAt || s.expiresAt !== spec.expiresAt;
  const reopen = s.status === 'cancelled' || s.status === 'expired';
  if (reopen || (waiting(s) && moved)) return [{ type: 'task_rescheduled', at, dueAt: spec.dueAt, expiresAt: spec.expiresAt, reason }];
  return [];
}

function failure(s: OutboundTask, attemptId: string, error: string, retriable: boolean, throttled: boolean, retryAfterMs: number, at: number, retry: RetryPolicy): TaskEvent[] {
  // Attempts the engine turned away for lack of capacity do not use up the budget.
  const counted = s.attempts - s.throttled - (throttled ? 1 : 0);
  if (!retriable || (!throttled && counted >= retry.maxAttempts)) {
    return [
      { type: 'attempt_failed', at, attemptId, error, throttled, nextAttemptAt: null },
      { type: 'task_failed', at: at + 1, reason: retriable ? 'attempts_exhausted' : error },
    ];
  }
  const delay = retryDelayMs(Math.max(1, counted), attemptId, retry, retryAfterMs);
  return [{ type: 'attempt_failed', at, attemptId, error, throttled, nextAttemptAt: at + delay }];
}

/**
 * The task decider: what a command means for a task in its current state, as
 * events (none when there is nothing to do, so a repeated command is harmless).
 * Pure: time comes in `ctx.now`; event times strictly increase per task.
 */
export function decideTask(state: OutboundTask | null, command: TaskCommand, ctx: DecideContext): TaskEvent[] {
  const at = state ? Math.max(ctx.now, state.updatedAt + 1) : ctx.now;
  const s = state;
  switch (command.type) {
    case 'schedule':
      return schedule(s, command.spec, command.reason, at, ctx.now);
    case 'cancel':
      return s && waiting(s) ? [{ type: 'task_cancelled', at, reason: command.reason }] : [];
    case 'start_attempt': {
      if (!s || !waiting(s) || (s.nextAttemptAt ?? Infinity) > ctx.now) return [];
      if (s.expiresAt !== null && s.expiresAt <= ctx.now) return [{ type: 'task_expired', at }];
      const attempt = s.attempts + 1;
      return [{ type: 'attempt_started', at, attempt, attemptId: attemptIdOf(s.taskId, attempt), patient: command.patient }];
    }
    case 'resume_attempt':
      return s?.status === 'dispatching' && s.attemptId ? [{ type: 'attempt_resumed', at, attemptId: s.attemptId }] : [];
    case 'record_started':
      return s?.status === 'dispatching' && s.attemptId === command.attemptId
        ? [{ type: 'interaction_started', at, attemptId: command.attemptId, interactionId: command.interactionId }] : [];
    case 'record_failure':
      if (!s || !inFlight(s, command.attemptId)) return [];
      return failure(s, command.attemptId, command.error, command.retriable, command.throttled ?? false, command.retryAfterMs ?? 0, at, ctx.retry);
    case 'record_finished':
      if (!s || !inFlight(s, command.attemptId)) return [];
      if (command.success) return [{ type: 'task_completed', at, attemptId: command.attemptId, outcome: command.outcome }];
      return failure(s, command.attemptId, `outcome ${command.outcome}`, true, false, 0, at, ctx.retry);
  }
}

/** Decides and applies: the events and the task after them. */
export function handleTask(state: OutboundTask | null, command: TaskCommand, ctx: DecideContext): { events: TaskEvent[]; state: OutboundTask | null; steps: OutboundTask[] } {
  const events = decideTask(state, command, ctx);
  const steps: OutboundTask[] = [];
  let s = state;
  for (const e of events) { s = evolveTask(s, e); steps.push(s); }
  return { events, state: s, steps };
}
