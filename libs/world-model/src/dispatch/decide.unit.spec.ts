import { describe, expect, it } from 'vitest';
import { decideTask, handleTask } from './decide.ts';
import type { TaskCommand, TaskEvent } from './events.ts';
import { taskFromEvents } from './evolve.ts';
import { retryDelayMs, type RetryPolicy } from './retry-timing.ts';
import type { TaskSpec } from './task.ts';

const retry: RetryPolicy = { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0 };
const T = 1_800_000_000_000;
const spec: TaskSpec = {
  taskId: 't1', workspaceId: 'w', purpose: 'appointment_reminder', channel: 'voice', priority: 5, patient: 'ent-p',
  patientRefs: [], subject: 'ent-a', createdBy: 'rule:r', dueAt: T + 60_000, expiresAt: T + 86_400_000,
};

/** given(events).when(command, now).then(events) */
function given(...history: TaskEvent[]) {
  const state = taskFromEvents(history);
  return {
    when: (command: TaskCommand, now = T) => ({
      then: (expected: TaskEvent[]) => expect(decideTask(state, command, { now, retry })).toEqual(expected),
      state: () => handleTask(state, command, { now, retry }).state,
    }),
  };
}

const scheduled: TaskEvent = { type: 'task_scheduled', at: T - 10, spec };
const started = (n: number, at: number): TaskEvent => ({ type: 'attempt_started', at, attempt: n, attemptId: `t1:${n}`, patient: 'ent-p' });

describe('outbound task decider', () => {
  it('given nothing, when scheduled, then the task is scheduled', () => {
    given().when({ type: 'schedule', spec, reason: 'r' }).then([{ type: 'task_scheduled', at: T, spec }]);
  });

  it('given a scheduled task, when scheduled again with the same due time, then nothing happens (idempotent)', () => {
    given(scheduled).when({ type: 'schedule', spec, reason: 'r' }).then([]);
  });

  it('given a scheduled task, when its appointment moves, then the task is rescheduled and its next attempt moves with it', () => {
    const moved = { ...spec, dueAt: spec.dueAt + 86_400_000, expiresAt: spec.expiresAt! + 86_400_000 };
    given(scheduled).when({ type: 'schedule', spec: moved, reason: 'Appointment moved' })
      .then([{ type: 'task_rescheduled', at: T, dueAt: moved.dueAt, expiresAt: moved.expiresAt, reason: 'Appointment moved' }]);
    expect(given(scheduled).when({ type: 'schedule', spec: moved, reason: 'x' }).state()).toMatchObject({ status: 'scheduled', nextAttemptAt: moved.dueAt, revision: 2 });
  });

  it('given a scheduled task, when cancelled, then it is cancelled; a second cancel does nothing', () => {
    given(scheduled).when({ type: 'cancel', reason: 'Appointment cancelled' }).then([{ type: 'task_cancelled', at: T, reason: 'Appointment cancelled' }]);
    given(scheduled, { type: 'task_cancelled', at: T, reason: 'x' }).when({ type: 'cancel', reason: 'y' }).then([]);
  });

  it('given a cancelled task, when its appointment is booked again, then it is reopened', () => {
    const s = given(scheduled, { type: 'task_cancelled', at: T - 5, reason: 'x' }).when({ type: 'schedule', spec, reason: 'rebooked' }).state();
    expect(s).toMatchObject({ status: 'scheduled', outcome: null, nextAttemptAt: spec.dueAt });
  });

  it('given a task already pointless, when scheduled, then nothing is created', () => {
    given().when({ type: 'schedule', spec: { ...spec, expiresAt: T - 1 }, reason: 'r' }).then([]);
  });

  it('given a task not yet due, when a claim is tried, then nothing happens; once due it starts attempt 1', () => {
    given(scheduled).when({ type: 'start_attempt', patient: 'ent-p' }, spec.dueAt - 1).then([]);
    given(scheduled).when({ type: 'start_attempt', patient: 'ent-p' }, spec.dueAt).then([started(1, spec.dueAt)]);
  });

  it('given a due task past its expiry, when claimed, then it expires instead of going out', () => {
    given(scheduled).when({ type: 'start_attempt', patient: 'ent-p' }, spec.expiresAt!).then([{ type: 'task_expired', at: spec.expiresAt! }]);
  });

  it('given a claimed task, when claimed again (another instance), then nothing happens: it is never dispatched twice', () => {
    given(scheduled, started(1, T)).when({ type: 'start_attempt', patient: 'ent-p' }, T + 1).then([]);
  });

  it('given a started attempt, when the engine starts the interaction and later reports it reached the patient, then the task completes', () => {
    const s1 = given(scheduled, started(1, T)).when({ type: 'record_started', attemptId: 't1:1', interactionId: 'i-1' }, T + 5).state();
    expect(s1).toMatchObject({ status: 'in_progress', interactionId: 'i-1' });
    given(scheduled, started(1, T), { type: 'interaction_started', at: T + 5, attemptId: 't1:1', interactionId: 'i-1' })
      .when({ type: 'record_finished', attemptId: 't1:1', outcome: 'reached', success: true }, T + 9)
      .then([{ type: 'task_completed', at: T + 9, attemptId: 't1:1', outcome: 'reached' }]);
  });

  it('given a failed attempt, when recorded, then the task retries with exponential backoff', () => {
    given(scheduled, started(1, T)).when({ type: 'record_failure', attemptId: 't1:1', error: '503', retriable: true }, T + 10)
      .then([{ type: 'attempt_failed', at: T + 10, attemptId: 't1:1', error: '503', throttled: false, nextAttemptAt: T + 10 + 1_000 }]);
    const second: TaskEvent[] = [scheduled, started(1, T), { type: 'attempt_failed', at: T + 10, attemptId: 't1:1', error: '503', throttled: false, nextAttemptAt: T + 1_010 }, started(2, T + 1_010)];
    given(...second).when({ type: 'record_failure', attemptId: 't1:2', error: '503', retriable: true }, T + 1_020)
      .then([{ type: 'attempt_failed', at: T + 1_020, attemptId: 't1:2', error: '503', throttled: false, nextAttemptAt: T + 1_020 + 2_000 }]);
  });

  it('given the last allowed attempt, when it fails, then the task fails as exhausted', () => {
    const fail = (n: number, at: number): TaskEvent => ({ type: 'attempt_failed', at, attemptId: `t1:${n}`, error: 'x', throttled: false, nextAttemptAt: at + 1 });
    given(scheduled, started(1, T), fail(1, T + 1), started(2, T + 2), fail(2, T + 3), started(3, T + 4))
      .when({ type: 'record_failure', attemptId: 't1:3', error: 'x', retriable: true }, T + 5)
      .then([
        { type: 'attempt_failed', at: T + 5, attemptId: 't1:3', error: 'x', throttled: false, nextAttemptAt: null },
        { type: 'task_failed', at: T + 6, reason: 'attempts_exhausted' },
      ]);
  });

  it('given a throttled attempt, when recorded, then it waits for the engine\'s Retry-After and does not use up the budget', () => {
    const s = given(scheduled, started(1, T)).when({ type: 'record_failure', attemptId: 't1:1', error: '429', retriable: true, throttled: true, retryAfterMs: 30_000 }, T + 1).state();
    expect(s).toMatchObject({ status: 'retrying', throttled: 1, attempts: 1, nextAttemptAt: T + 1 + 30_000 });
  });

  it('given a permanent failure, when recorded, then the task fails at once', () => {
    given(scheduled, started(1, T)).when({ type: 'record_failure', attemptId: 't1:1', error: '400', retriable: false }, T + 1)
      .then([{ type: 'attempt_failed', at: T + 1, attemptId: 't1:1', error: '400', throttled: false, nextAttemptAt: null }, { type: 'task_failed', at: T + 2, reason: '400' }]);
  });

  it('given an outcome for an older attempt, when recorded, then it is ignored', () => {
    given(scheduled, started(1, T)).when({ type: 'record_finished', attemptId: 't1:0', outcome: 'reached', success: true }, T + 1).then([]);
  });

  it('given a claim whose instance vanished, when resumed, then the same attempt (same idempotency key) is taken over', () => {
    given(scheduled, started(1, T)).when({ type: 'resume_attempt' }, T + 100).then([{ type: 'attempt_resumed', at: T + 100, attemptId: 't1:1' }]);
  });

  it('given events in the same millisecond, when decided, then event times still increase', () => {
    const s = given(scheduled, started(1, T)).when({ type: 'record_started', attemptId: 't1:1', interactionId: 'i' }, T - 500).state();
    expect(s?.updatedAt).toBe(T + 1);
  });

  it('jitter is fixed by the attempt id, and stays within its band', () => {
    const p = { ...retry, jitter: 0.5 };
    expect(retryDelayMs(1, 'a:1', p)).toBe(retryDelayMs(1, 'a:1', p));
    for (const id of ['a:1', 'b:1', 'c:2']) expect(retryDelayMs(1, id, p)).toBeGreaterThanOrEqual(500);
    expect(retryDelayMs(10, 'a:1', { ...retry, maxDelayMs: 5_000 })).toBe(5_000);
  });
});
