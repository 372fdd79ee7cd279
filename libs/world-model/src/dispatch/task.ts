/**
 * An outbound interaction the runner owes a patient: a reminder, a follow-up, a
 * campaign contact or a manual request. A world-model entity like any other
 * (entity type `OutboundTask`): every change to it is an event.
 */

export const OUTBOUND_TASK = 'OutboundTask';

export type TaskChannel = 'voice' | 'text';

/**
 * scheduled -> dispatching (claimed, start sent) -> in_progress (the engine runs it)
 * -> completed; a failed attempt -> retrying -> dispatching ...; out of attempts
 * -> failed. Cancelled and expired end it before it goes out.
 */
export type TaskStatus = 'scheduled' | 'dispatching' | 'in_progress' | 'retrying' | 'completed' | 'failed' | 'cancelled' | 'expired';

/** Waiting for their due time: may be claimed, rescheduled or cancelled. */
export const WAITING_STATUSES: readonly TaskStatus[] = ['scheduled', 'retrying'];
/** Taking a slot of the agent engine's capacity. */
export const IN_FLIGHT_STATUSES: readonly TaskStatus[] = ['dispatching', 'in_progress'];
export const FINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled', 'expired'];

/** What a task is, as its creator (a rule, a campaign, a person) wants it. */
export interface TaskSpec {
  taskId: string;
  workspaceId: string;
  /** Why we contact the patient, e.g. `appointment_reminder`, `follow_up`. */
  purpose: string;
  channel: TaskChannel;
  /** Higher goes first among tasks due at the same time. */
  priority: number;
  /** The patient: a canonical entity id once known. */
  patient: string | null;
  /** Source references that name the patient (`dataSourceId/Patient/123`), resolved at dispatch time. */
  patientRefs: string[];
  /** The entity the task is about (the Appointment of a reminder), if any. */
  subject: string | null;
  /** Who made it: `rule:<id>`, `campaign:<id>` or `manual:<subject>`. */
  createdBy: string;
  dueAt: number;
  /** After this the task is pointless (the appointment has begun): it expires instead of going out. */
  expiresAt: number | null;
}

export interface OutboundTask extends TaskSpec {
  status: TaskStatus;
  /** Attempts started, throttled ones included. */
  attempts: number;
  /** Attempts the engine refused for lack of capacity: they do not use up the attempt budget. */
  throttled: number;
  /** When the next attempt may start (the due time, or a retry's backoff). */
  nextAttemptAt: number | null;
  /** The current (or last) attempt: `<taskId>:<n>`, the engine's idempotency key. */
  attemptId: string | null;
  interactionId: string | null;
  lastError: string | null;
  /** How it ended: the engine's outcome (`reached`, ...), `attempts_exhausted`, a cancellation reason. */
  outcome: string | null;
  /** Changes applied so far; names the change's event. */
  revision: number;
  createdAt: number;
  updatedAt: number;
}

/** The engine's idempotency key of attempt `n`: the same attempt is never started twice. */
export function attemptIdOf(taskId: string, attempt: number): string {
  return `${taskId}:${attempt}`;
}
