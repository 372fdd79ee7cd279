import type { EntityState, WorldEvent } from '../types.ts';
import type { TaskEvent } from './events.ts';
import { OUTBOUND_TASK, type OutboundTask, type TaskChannel, type TaskStatus } from './task.ts';

/** The identifier every task event carries: resolution keys the task's entity by it. */
export const TASK_IDENTIFIER_SYSTEM = 'urn:connector-runner:task';
/** The source every task event names: one source record per task, whoever writes the event. */
export const TASK_SOURCE = { dataSourceId: 'dispatch', system: 'connector-runner-dispatch', resourceType: OUTBOUND_TASK } as const;
export const TASK_MAPPING_VERSION = 'outbound-task@1';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const ms = (v: unknown): number | null => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : null);

/** The task's fields as world-model attributes (JSON-encoded values; times as ISO text). */
export function taskAttributes(t: OutboundTask, change: string): Record<string, string> {
  const values: Record<string, unknown> = {
    taskId: t.taskId, workspaceId: t.workspaceId, purpose: t.purpose, channel: t.channel, priority: t.priority,
    patient: t.patient, patientRefs: t.patientRefs, subject: t.subject, createdBy: t.createdBy,
    dueAt: iso(t.dueAt), expiresAt: iso(t.expiresAt), status: t.status, attempts: t.attempts, throttled: t.throttled,
    nextAttemptAt: iso(t.nextAttemptAt), attemptId: t.attemptId, interactionId: t.interactionId,
    lastError: t.lastError, outcome: t.outcome, revision: t.revision, createdAt: iso(t.createdAt), change,
  };
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, JSON.stringify(v)]));
}

export interface TaskEventMeta {
  /** `agent` for what the runner decides itself, `operator` for a person's request. */
  origin: 'agent' | 'operator';
  /** What caused the change: an appointment state, an attempt, an api request. */
  causationId: string;
  recordedAt: number;
}

/**
 * One change to a task as a world event: the task's whole state after the change
 * (so the projection shows it whole), id `outbound-task:<taskId>:<revision>`
 * (deterministic: a re-sent change is the same event). Confidence 1: the runner
 * is the system of record of its own tasks; these are facts about what it did,
 * not inferences about a patient, so they need no review.
 */
export function taskWorldEvent(after: OutboundTask, event: TaskEvent, meta: TaskEventMeta): WorldEvent {
  return {
    eventId: `outbound-task:${after.taskId}:${after.revision}`,
    entityType: OUTBOUND_TASK,
    source: { ...TASK_SOURCE, externalId: after.taskId },
    attributes: taskAttributes(after, event.type),
    identifiers: [{ system: TASK_IDENTIFIER_SYSTEM, value: after.taskId }],
    confidence: 1,
    origin: meta.origin,
    observedAt: event.at,
    recordedAt: meta.recordedAt,
    mappingVersion: TASK_MAPPING_VERSION,
    causationId: meta.causationId,
    category: 'outbound',
    deleted: false,
    sourceMaterial: null,
  };
}

/** The Kafka key of a task's events on `world.events`: all of one task's changes in one partition, in order. */
export function taskEventKey(taskId: string): string {
  return `${OUTBOUND_TASK}/${TASK_SOURCE.dataSourceId}/${OUTBOUND_TASK}/${taskId}`;
}

const STATUSES: readonly TaskStatus[] = ['scheduled', 'dispatching', 'in_progress', 'retrying', 'completed', 'failed', 'cancelled', 'expired'];

/** A task back from its projected state (a rebuild, or a task created through the api); null when it is not one. */
export function taskFromState(state: EntityState): OutboundTask | null {
  if (state.entityType !== OUTBOUND_TASK || state.deleted) return null;
  const f: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state.fields)) {
    try { f[k] = JSON.parse(v.valueJson) as unknown; } catch { return null; }
  }
  const str = (k: string): string | null => (typeof f[k] === 'string' ? f[k] as string : null);
  const num = (k: string): number => (typeof f[k] === 'number' ? f[k] as number : 0);
  const taskId = str('taskId');
  const status = str('status') as TaskStatus | null;
  const dueAt = ms(f.dueAt);
  const channel = str('channel');
  if (!taskId || !status || !STATUSES.includes(status) || dueAt === null || (channel !== 'voice' && channel !== 'text')) return null;
  return {
    taskId, workspaceId: str('workspaceId') ?? 'default', purpose: str('purpose') ?? 'unspecified', channel: channel as TaskChannel,
    priority: num('priority'), patient: str('patient'),
    patientRefs: Array.isArray(f.patientRefs) ? f.patientRefs.filter((r): r is string => typeof r === 'string') : [],
    subject: str('subject'), createdBy: str('createdBy') ?? 'unknown', dueAt, expiresAt: ms(f.expiresAt),
    status, attempts: num('attempts'), throttled: num('throttled'), nextAttemptAt: ms(f.nextAttemptAt),
    attemptId: str('attemptId'), interactionId: str('interactionId'), lastError: str('lastError'), outcome: str('outcome'),
    revision: num('revision'), createdAt: ms(f.createdAt) ?? state.updatedAt, updatedAt: Math.max(...Object.values(state.fields).map((v) => v.observedAt), 0),
  };
}
