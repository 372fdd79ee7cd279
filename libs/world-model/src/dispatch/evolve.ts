import type { TaskEvent } from './events.ts';
import type { OutboundTask } from './task.ts';

/** A task after one more of its events. Pure; the first event must be `task_scheduled`. */
export function evolveTask(state: OutboundTask | null, event: TaskEvent): OutboundTask {
  if (event.type === 'task_scheduled') {
    return {
      ...event.spec, status: 'scheduled', attempts: 0, throttled: 0, nextAttemptAt: event.spec.dueAt,
      attemptId: null, interactionId: null, lastError: null, outcome: null, revision: 1, createdAt: event.at, updatedAt: event.at,
    };
  }
  if (!state) throw new Error(`task event ${event.type} before task_scheduled`);
  const s: OutboundTask = { ...state, revision: state.revision + 1, updatedAt: event.at };
  switch (event.type) {
    case 'task_rescheduled': {
      const reopened = s.status === 'cancelled' || s.status === 'expired';
      const nextAttemptAt = reopened || s.status === 'scheduled' ? event.dueAt : Math.max(s.nextAttemptAt ?? 0, event.dueAt);
      return { ...s, dueAt: event.dueAt, expiresAt: event.expiresAt, nextAttemptAt, ...(reopened ? { status: 'scheduled', outcome: null } : {}) };
    }
    case 'task_cancelled':
      return { ...s, status: 'cancelled', outcome: event.reason, nextAttemptAt: null };
    case 'task_expired':
      return { ...s, status: 'expired', outcome: 'expired', nextAttemptAt: null };
    case 'attempt_started':
      return { ...s, status: 'dispatching', attempts: event.attempt, attemptId: event.attemptId, interactionId: null, nextAttemptAt: null, patient: event.patient ?? s.patient };
    case 'attempt_resumed':
      return s;
    case 'interaction_started':
      return { ...s, status: 'in_progress', interactionId: event.interactionId };
    case 'attempt_failed':
      return {
        ...s, lastError: event.error, throttled: s.throttled + (event.throttled ? 1 : 0), nextAttemptAt: event.nextAttemptAt,
        ...(event.nextAttemptAt === null ? {} : { status: 'retrying' as const }),
      };
    case 'task_completed':
      return { ...s, status: 'completed', outcome: event.outcome, nextAttemptAt: null };
    case 'task_failed':
      return { ...s, status: 'failed', outcome: event.reason, nextAttemptAt: null };
  }
}

/** A task from its events, oldest first (null: none). */
export function taskFromEvents(events: readonly TaskEvent[]): OutboundTask | null {
  return events.reduce<OutboundTask | null>((s, e) => evolveTask(s, e), null);
}
