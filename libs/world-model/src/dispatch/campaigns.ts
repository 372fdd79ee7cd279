import { z } from 'zod';
import { channelSchema, configIdSchema, fieldNameSchema, prioritySchema, purposeSchema, type EntityView } from './names.ts';
import { plannedTaskId, type TaskPlan } from './rules.ts';

/** Who a campaign reaches: patients whose fields equal these values, have these fields, and lack those. */
export const cohortSchema = z.object({
  fieldEquals: z.record(fieldNameSchema, z.json()).default({}),
  hasFields: z.array(fieldNameSchema).default([]),
  missingFields: z.array(fieldNameSchema).default([]),
}).strict();

/**
 * A campaign: one task per patient of the cohort, due at `startAt`, expiring at `endAt`.
 *   { id: 'flu-2026', purpose: 'flu_shot_outreach', channel: 'text', startAt: '2026-10-01T13:00:00Z',
 *     cohort: { fieldEquals: { 'address.state': 'NY' }, hasFields: ['phone'] } }
 */
export const campaignSchema = z.object({
  id: configIdSchema,
  purpose: purposeSchema,
  channel: channelSchema.default('text'),
  priority: prioritySchema.default(1),
  startAt: z.iso.datetime({ offset: true }),
  endAt: z.iso.datetime({ offset: true }).optional(),
  cohort: cohortSchema.default({ fieldEquals: {}, hasFields: [], missingFields: [] }),
}).strict().refine((c) => !c.endAt || Date.parse(c.endAt) > Date.parse(c.startAt), { message: 'endAt must be after startAt', path: ['endAt'] });

export type Campaign = z.infer<typeof campaignSchema>;
export type Cohort = z.infer<typeof cohortSchema>;

/** Absent, null, empty text and empty lists all count as missing. */
export function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export function inCohort(fields: Readonly<Record<string, unknown>>, cohort: Cohort): boolean {
  return Object.entries(cohort.fieldEquals).every(([k, v]) => same(fields[k], v))
    && cohort.hasFields.every((k) => !isBlank(fields[k]))
    && cohort.missingFields.every((k) => isBlank(fields[k]));
}

/** The plan of a campaign for one patient: a task while the patient is in the cohort. Pure. */
export function planCampaign(campaign: Campaign, patient: EntityView, workspaceId: string): TaskPlan {
  if (patient.deleted) return { action: 'cancel', reason: 'patient deleted' };
  if (!inCohort(patient.fields, campaign.cohort)) return { action: 'cancel', reason: 'left the cohort' };
  return {
    action: 'schedule',
    spec: {
      taskId: plannedTaskId('campaign', workspaceId, campaign.id, patient.entityId), workspaceId, purpose: campaign.purpose,
      channel: campaign.channel, priority: campaign.priority, patient: patient.entityId, patientRefs: [], subject: null,
      createdBy: `campaign:${campaign.id}`, dueAt: Date.parse(campaign.startAt), expiresAt: campaign.endAt ? Date.parse(campaign.endAt) : null,
    },
  };
}
