import { z } from 'zod';
import { durationSchema } from './duration.ts';
import { channelSchema, configIdSchema, entityTypeNameSchema, fieldNameSchema, prioritySchema, purposeSchema, type EntityView } from './names.ts';
import type { TaskSpec } from './task.ts';

/**
 * A scheduling rule: one task per entity of a type, due at one of its time fields
 * plus an offset, for as long as the entity's status is one of `statuses`.
 * A reminder 24 hours before each booked Appointment:
 *   { id: 'reminder-24h', entityType: 'Appointment', anchor: 'start', offset: '-24h', purpose: 'appointment_reminder' }
 * A follow-up two days after each finished Encounter:
 *   { id: 'follow-up', entityType: 'Encounter', anchor: 'end', offset: '48h', statuses: ['finished'], purpose: 'follow_up', channel: 'text' }
 */
export const schedulingRuleSchema = z.object({
  id: configIdSchema,
  entityType: entityTypeNameSchema,
  /** The time field the task is due relative to. */
  anchor: fieldNameSchema.default('start'),
  /** Due time = anchor + offset (negative: before). */
  offset: durationSchema,
  /** The task expires at anchor + this. Default: at the anchor for reminders (negative offset), a day after the due time otherwise. */
  expiresAfterAnchor: durationSchema.optional(),
  purpose: purposeSchema,
  channel: channelSchema.default('voice'),
  priority: prioritySchema.default(5),
  /** Entity statuses the task exists for; any other status (cancelled, ...) cancels it. */
  statuses: z.array(z.string().min(1)).min(1).default(['booked', 'pending']),
  /** The field holding the patient reference (`Patient/123`, or an entity id). */
  patientField: fieldNameSchema.default('patient'),
}).strict();

export type SchedulingRule = z.infer<typeof schedulingRuleSchema>;

/** What a rule wants for one entity: a task due at a time, or no task. */
export type TaskPlan = { action: 'schedule'; spec: TaskSpec } | { action: 'cancel'; reason: string };

/** A task's id for a rule or campaign and an entity: stable, so a replanned entity finds its task. */
export function plannedTaskId(kind: 'rule' | 'campaign', workspaceId: string, id: string, entityId: string): string {
  return `${kind}:${workspaceId}:${id}:${entityId}`;
}

/** `dataSourceId/Type/id` keys of a reference as each of the entity's sources would mean it; an entity id stays as it is. */
export function patientReferenceKeys(ref: string, dataSources: readonly string[]): { entityId: string | null; refs: string[] } {
  if (!ref.includes('/')) return { entityId: ref, refs: [] };
  return { entityId: null, refs: [...new Set(dataSources.map((d) => `${d}/${ref}`))].sort() };
}

function timeOf(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** The plan of one rule for one entity. Pure. */
export function planRule(rule: SchedulingRule, entity: EntityView, workspaceId: string): TaskPlan {
  if (entity.deleted) return { action: 'cancel', reason: `${entity.entityType} deleted` };
  const status = entity.fields.status;
  if (typeof status === 'string' && !rule.statuses.includes(status)) return { action: 'cancel', reason: `${entity.entityType} ${status}` };
  const anchor = timeOf(entity.fields[rule.anchor]);
  if (anchor === undefined) return { action: 'cancel', reason: `${entity.entityType} has no ${rule.anchor}` };
  const patientRef = entity.fields[rule.patientField];
  if (typeof patientRef !== 'string' || !patientRef) return { action: 'cancel', reason: `${entity.entityType} names no patient` };
  const { entityId: patient, refs } = patientReferenceKeys(patientRef, entity.dataSources);
  const dueAt = anchor + rule.offset;
  const expiresAfter = rule.expiresAfterAnchor ?? (rule.offset < 0 ? 0 : rule.offset + 86_400_000);
  return {
    action: 'schedule',
    spec: {
      taskId: plannedTaskId('rule', workspaceId, rule.id, entity.entityId), workspaceId, purpose: rule.purpose, channel: rule.channel,
      priority: rule.priority, patient, patientRefs: refs, subject: entity.entityId, createdBy: `rule:${rule.id}`,
      dueAt, expiresAt: anchor + expiresAfter,
    },
  };
}
