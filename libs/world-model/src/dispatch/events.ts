import type { TaskSpec } from './task.ts';

/** Every change to a task, as the decider records it. `at`: when, strictly increasing per task. */
export type TaskEvent =
  | { type: 'task_scheduled'; at: number; spec: TaskSpec }
  | { type: 'task_rescheduled'; at: number; dueAt: number; expiresAt: number | null; reason: string }
  | { type: 'task_cancelled'; at: number; reason: string }
  | { type: 'task_expired'; at: number }
  | { type: 'attempt_started'; at: number; attempt: number; attemptId: string; patient: string | null }
  /** A claim whose instance vanished is taken over: same attempt, same idempotency key. */
  | { type: 'attempt_resumed'; at: number; attemptId: string }
  | { type: 'interaction_started'; at: number; attemptId: string; interactionId: string }
  | { type: 'attempt_failed'; at: number; attemptId: string; error: string; throttled: boolean; nextAttemptAt: number | null }
  | { type: 'task_completed'; at: number; attemptId: string; outcome: string }
  | { type: 'task_failed'; at: number; reason: string };

export type TaskEventType = TaskEvent['type'];

/** What may be asked of a task. The decider answers with events (none: nothing to do). */
export type TaskCommand =
  /** Make sure the task exists with this due time (a rule, a campaign, a manual trigger). */
  | { type: 'schedule'; spec: TaskSpec; reason: string }
  | { type: 'cancel'; reason: string }
  /** Claim a due task for a new attempt. */
  | { type: 'start_attempt'; patient: string | null }
  /** Take over an attempt whose claim expired. */
  | { type: 'resume_attempt' }
  | { type: 'record_started'; attemptId: string; interactionId: string }
  /** `retriable: false` ends the task; `retryAfterMs` is the engine's own wait. */
  | { type: 'record_failure'; attemptId: string; error: string; retriable: boolean; throttled?: boolean; retryAfterMs?: number }
  /** The engine finished the interaction; `success: false` (no answer, ...) counts as a failed attempt. */
  | { type: 'record_finished'; attemptId: string; outcome: string; success: boolean };
