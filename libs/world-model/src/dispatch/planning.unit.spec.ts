import { describe, expect, it } from 'vitest';
import { planCampaign, campaignSchema } from './campaigns.ts';
import { missingFields, surfaceRequestFor, gapRequirementSchema } from './gaps.ts';
import type { EntityView } from './names.ts';
import { planRule, schedulingRuleSchema } from './rules.ts';
import { inWorkspace, workspacesSchema } from './workspace.ts';

const H = 3_600_000;
const start = '2030-05-01T15:00:00.000Z';
const reminder = schedulingRuleSchema.parse({ id: 'reminder-24h', entityType: 'Appointment', offset: '-24h', purpose: 'appointment_reminder' });
const appointment = (fields: Record<string, unknown>, over: Partial<EntityView> = {}): EntityView => ({
  entityId: 'ent-a1', entityType: 'Appointment', dataSources: ['ehr-a'], deleted: false,
  fields: { status: 'booked', start, patient: 'Patient/p-1', ...fields }, ...over,
});

describe('scheduling rules', () => {
  it('given a booked appointment, when planned, then a reminder is due 24 hours before it and expires when it starts', () => {
    expect(planRule(reminder, appointment({}), 'north')).toEqual({
      action: 'schedule',
      spec: {
        taskId: 'rule:north:reminder-24h:ent-a1', workspaceId: 'north', purpose: 'appointment_reminder', channel: 'voice', priority: 5,
        patient: null, patientRefs: ['ehr-a/Patient/p-1'], subject: 'ent-a1', createdBy: 'rule:reminder-24h',
        dueAt: Date.parse(start) - 24 * H, expiresAt: Date.parse(start),
      },
    });
  });

  it('given a rescheduled appointment, when planned, then the same task moves', () => {
    const later = planRule(reminder, appointment({ start: '2030-05-03T15:00:00Z' }), 'north');
    expect(later).toMatchObject({ action: 'schedule', spec: { taskId: 'rule:north:reminder-24h:ent-a1', dueAt: Date.parse('2030-05-02T15:00:00Z') } });
  });

  it('given a cancelled or deleted appointment, when planned, then the reminder is cancelled', () => {
    expect(planRule(reminder, appointment({ status: 'cancelled' }), 'north')).toEqual({ action: 'cancel', reason: 'Appointment cancelled' });
    expect(planRule(reminder, appointment({}, { deleted: true }), 'north')).toEqual({ action: 'cancel', reason: 'Appointment deleted' });
  });

  it('given a follow-up rule, when an encounter finishes, then a task is due after it, expiring a day after its due time', () => {
    const rule = schedulingRuleSchema.parse({ id: 'follow-up', entityType: 'Encounter', anchor: 'end', offset: '48h', statuses: ['finished'], purpose: 'follow_up', channel: 'text' });
    const enc: EntityView = { entityId: 'ent-e', entityType: 'Encounter', dataSources: ['ehr-a'], deleted: false, fields: { status: 'finished', end: start, patient: 'ent-p' } };
    expect(planRule(rule, enc, 'w')).toMatchObject({ action: 'schedule', spec: { patient: 'ent-p', patientRefs: [], channel: 'text', dueAt: Date.parse(start) + 48 * H, expiresAt: Date.parse(start) + 72 * H } });
  });

  it('given a bad rule, when parsed, then the error names the field', () => {
    const r = schedulingRuleSchema.safeParse({ id: 'x', entityType: 'Appointment', offset: 'tomorrow', purpose: 'Remind!' });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['offset', 'purpose']);
  });
});

describe('campaigns', () => {
  const campaign = campaignSchema.parse({ id: 'flu', purpose: 'flu_shot_outreach', startAt: '2030-10-01T13:00:00Z', cohort: { fieldEquals: { 'address.state': 'NY' }, hasFields: ['phone'] } });
  const patient = (fields: Record<string, unknown>): EntityView => ({ entityId: 'ent-p', entityType: 'Patient', dataSources: ['ehr-a'], deleted: false, fields });

  it('given a patient in the cohort, when planned, then one task is due at the campaign start', () => {
    expect(planCampaign(campaign, patient({ 'address.state': 'NY', phone: '+15551234567' }), 'w')).toMatchObject({
      action: 'schedule', spec: { taskId: 'campaign:w:flu:ent-p', patient: 'ent-p', dueAt: Date.parse('2030-10-01T13:00:00Z'), expiresAt: null, channel: 'text' },
    });
  });

  it('given a patient outside the cohort, when planned, then there is no task', () => {
    expect(planCampaign(campaign, patient({ 'address.state': 'NJ', phone: '+15551234567' }), 'w').action).toBe('cancel');
    expect(planCampaign(campaign, patient({ 'address.state': 'NY', phone: '' }), 'w').action).toBe('cancel');
  });
});

describe('gap requirements', () => {
  const req = gapRequirementSchema.parse({ id: 'insurance', description: 'patients with upcoming appointments must have insurance information', upcomingAppointmentWithin: '30d', requiredFields: ['insurance.payer', 'insurance.memberId'] });

  it('given a patient without a member id, when checked, then the missing field is named', () => {
    expect(missingFields({ 'insurance.payer': 'Acme', 'insurance.memberId': '' }, req.requiredFields)).toEqual(['insurance.memberId']);
    expect(missingFields({ 'insurance.payer': 'Acme', 'insurance.memberId': 'X1' }, req.requiredFields)).toEqual([]);
  });

  it('given a gap, when surfaced, then the request names the requirement, the entity and the fields', () => {
    expect(surfaceRequestFor({ workspaceId: 'w', requirement: req, entityId: 'ent-p', missing: ['insurance.memberId'], at: 5 })).toEqual({
      requestId: 'gap:w:insurance:ent-p:5', entityId: 'ent-p', entityType: 'Patient', requirement: 'insurance', missingFields: ['insurance.memberId'], at: 5, workspaceId: 'w',
    });
  });
});

describe('workspaces', () => {
  it('given no configuration, when parsed, then the gap scanner is off with a 7-day cooldown', () => {
    const [w] = workspacesSchema.parse([{ id: 'north' }]);
    expect(w!.gapScanner).toMatchObject({ enabled: false, cooldown: 7 * 24 * H });
  });

  it('given an enabled scanner without requirements and a duplicate rule, when parsed, then each problem has its dotted path', () => {
    const r = workspacesSchema.safeParse([{ id: 'north', gapScanner: { enabled: true }, rules: [
      { id: 'a', entityType: 'Appointment', offset: '-1h', purpose: 'x' }, { id: 'a', entityType: 'Appointment', offset: '-2h', purpose: 'x' }] }]);
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['0.gapScanner.requirements', '0.rules']);
  });

  it('given data sources, when an entity is checked, then only entities read from them belong', () => {
    expect(inWorkspace({ dataSources: ['ehr-a'] }, ['ehr-a', 'crm'])).toBe(true);
    expect(inWorkspace({ dataSources: ['ehr-a'] }, ['ehr-b'])).toBe(false);
    expect(inWorkspace({ dataSources: [] }, ['anything'])).toBe(true);
  });
});
