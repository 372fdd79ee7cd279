import { describe, expect, it } from 'vitest';
import type { ResolvedEvent, ReviewTask, WorldEvent } from '../types.ts';
import { judgeDeterministically } from './deterministic-judge.ts';
import { foundInSource } from './evidence.ts';
import { applyDecision, verdictsForDecision, type ReviewDecision } from './decision.ts';
import { planReview, type ReviewIds } from './plan.ts';
import { routeForReview } from './policy.ts';
import { eventThreshold, thresholdFor } from './thresholds.ts';
import { validateBirthDate, validateMemberId, validateNpi, validatePhone } from './validators.ts';

const NOW = Date.UTC(2025, 5, 1);
let seq = 0;
function voice(attributes: Record<string, unknown>, sourceMaterial: string | null, over: Partial<WorldEvent> = {}): ResolvedEvent {
  const e: WorldEvent = {
    eventId: `ev-${++seq}`, entityType: 'Patient', source: { dataSourceId: 'voice', system: 'api', resourceType: 'Patient', externalId: `c${seq}` },
    attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, JSON.stringify(v)])), identifiers: [],
    confidence: 0.5, origin: 'voice', observedAt: NOW - 1000, recordedAt: NOW - 1000, mappingVersion: 'api@1', causationId: 'req',
    category: null, deleted: false, sourceMaterial, ...over,
  };
  return { entityId: 'ent-9', event: e, resolution: { tier: 1, rule: 'caller-entity-id', score: 1, features: [] } };
}
const ids: ReviewIds = { verdictId: (e, j, o) => `v:${e}:${j}:${o}`, taskId: (ent, first) => `t:${ent}:${first}` };
const judge = (r: ResolvedEvent) => judgeDeterministically({ entityId: r.entityId, event: r.event, now: NOW });

describe('format validators', () => {
  it('accept well-formed and refuse malformed phones, birth dates, member ids and NPIs', () => {
    expect(validatePhone('+15558675309', NOW)).toBeNull();
    expect(validatePhone('+15552345678', NOW)).toBeNull();
    expect(validatePhone('+15551234567', NOW)).toMatch(/North American/);
    expect(validatePhone('+10551234567', NOW)).toMatch(/North American/);
    expect(validatePhone('555-1234', NOW)).toMatch(/E.164/);
    expect(validateBirthDate('1982-03-15', NOW)).toBeNull();
    expect(validateBirthDate('1982-02-30', NOW)).toMatch(/calendar/);
    expect(validateBirthDate('2030-01-01', NOW)).toMatch(/future/);
    expect(validateBirthDate('1850-01-01', NOW)).toMatch(/130 years/);
    expect(validateMemberId('XK-123456', NOW)).toBeNull();
    expect(validateMemberId('ABCDEF', NOW)).toMatch(/digit/);
    expect(validateMemberId('X1', NOW)).toMatch(/5-24/);
    expect(validateNpi('1234567893', NOW)).toBeNull();
    expect(validateNpi('1234567890', NOW)).toMatch(/check digit/);
    expect(validateNpi('12345', NOW)).toMatch(/10-digit/);
  });
});

describe('source material matching', () => {
  it('finds spoken digits, spoken dates, spelled codes and plain text', () => {
    expect(foundInSource('"+15558675309"', 'sure, it is five five five, eight six seven, five three oh nine')).toBe(true);
    expect(foundInSource('"+15558675309"', '{"telecom":[{"value":"(555) 867-5309"}]}')).toBe(true);
    expect(foundInSource('"+15558675309"', 'my number is 555 867 5310')).toBe(false);
    expect(foundInSource('"1982-03-15"', 'I was born on March 15th, 1982.')).toBe(true);
    expect(foundInSource('"1982-03-15"', 'born 3/15/1982')).toBe(true);
    expect(foundInSource('"1982-03-15"', 'born March 16th 1982')).toBe(false);
    expect(foundInSource('"XK-1234"', 'member id X K dash one two three four')).toBe(true);
    expect(foundInSource('"Acme Health"', 'my insurer is acme health, the PPO plan')).toBe(true);
    expect(foundInSource('["Ada","Grace"]', 'Ada Grace Lovelace')).toBe(true);
    expect(foundInSource('"ada@example.test"', 'email is ada at example dot test')).toBe(true);
  });
});

describe('deterministic judge', () => {
  it('given values found in the transcript and well formed, then verified at the upgrade confidence', () => {
    const j = judge(voice({ phone: '+15558675309', 'insurance.payer': 'Acme Health' }, 'New number 555-867-5309 and my insurer is Acme Health.'));
    expect(j).toMatchObject({ outcome: 'verified', confidence: 1, judge: 'deterministic' });
  });

  it('given a value not in the transcript, then uncertain, naming the field but not the value', () => {
    const j = judge(voice({ 'insurance.memberId': 'QZ-998877' }, 'I have new insurance, I will read the card later'));
    expect(j.outcome).toBe('uncertain');
    expect(j.findings).toEqual(['insurance.memberId: not found in the source material']);
    expect(JSON.stringify(j)).not.toContain('998877');
  });

  it('given no source material, then uncertain; given a malformed value, then rejected even if it was said', () => {
    expect(judge(voice({ phone: '+15558675309' }, null)).outcome).toBe('uncertain');
    expect(judge(voice({ birthDate: '1982-02-30' }, 'born 1982-02-30')).outcome).toBe('rejected');
  });
});

describe('thresholds per entity type and category', () => {
  const policy = { default: 0.9, overrides: { 'Patient.insurance': 0.95, '*.contact': 0.8, Appointment: 0.7 } };
  it('picks the most specific threshold', () => {
    expect(thresholdFor(policy, 'Patient', 'insurance')).toBe(0.95);
    expect(thresholdFor(policy, 'Patient', 'contact')).toBe(0.8);
    expect(thresholdFor(policy, 'Appointment', 'status')).toBe(0.7);
    expect(thresholdFor(policy, 'Patient', 'demographics')).toBe(0.9);
    expect(eventThreshold(policy, 'Patient', null, ['contact.phone', 'insurance.memberId'])).toBe(0.95);
  });
  it('routes an event below its threshold to review and one at or above it past review', () => {
    expect(routeForReview(voice({ phone: '+15558675309' }, null), policy).route).toBe('queue');
    expect(routeForReview(voice({ 'contact.phone': '+15558675309' }, null, { confidence: 0.85 }), policy).route).toBe('pass');
  });
});

describe('review round: entity-level dedupe', () => {
  it('given a burst of 50 events on one entity, when judged in one round, then one task holds all the failed ones', () => {
    const burst = Array.from({ length: 50 }, (_, i) => voice({ note: `n${i}` }, null));
    const plan = planReview({ entityId: 'ent-9', judged: burst.map((r) => ({ resolved: r, judgement: judge(r) })), openTask: null, now: NOW }, ids);
    expect(plan.verdicts).toEqual([]);
    expect(plan.task).toMatchObject({ taskId: `t:ent-9:${burst[0]!.event.eventId}`, status: 'open', createdAt: NOW });
    expect(plan.task!.eventIds).toHaveLength(50);
    expect(plan.task!.evidence).toHaveLength(50);
  });

  it('given an open task, when more events fail, then they join the same task; verified ones only get verdicts', () => {
    const first = voice({ 'insurance.memberId': 'QZ-998877' }, 'no number said');
    const open = planReview({ entityId: 'ent-9', judged: [{ resolved: first, judgement: judge(first) }], openTask: null, now: NOW }, ids).task!;
    const more = voice({ 'insurance.groupId': 'G-1' }, null);
    const good = voice({ phone: '+15558675309' }, 'it is 555 867 5309');
    const plan = planReview({ entityId: 'ent-9', judged: [more, good].map((r) => ({ resolved: r, judgement: judge(r) })), openTask: open, now: NOW + 5 }, ids);
    expect(plan.task).toMatchObject({ taskId: open.taskId, createdAt: NOW, updatedAt: NOW + 5, eventIds: [first.event.eventId, more.event.eventId] });
    expect(plan.verdicts).toEqual([expect.objectContaining({ eventId: good.event.eventId, outcome: 'verified', confidence: 1, entityId: 'ent-9' })]);
  });

  it('given events already on the open task (a re-delivery), then nothing new is planned', () => {
    const first = voice({ x: 'y' }, null);
    const open = planReview({ entityId: 'ent-9', judged: [{ resolved: first, judgement: judge(first) }], openTask: null, now: NOW }, ids).task!;
    expect(planReview({ entityId: 'ent-9', judged: [{ resolved: first, judgement: judge(first) }], openTask: open, now: NOW + 1 }, ids).task).toBeNull();
  });
});

describe('operator decisions', () => {
  const task: ReviewTask = { taskId: 't1', entityId: 'ent-9', entityType: 'Patient', eventIds: ['a', 'b'], reason: 'r', status: 'open', createdAt: 1, evidence: [], judge: 'deterministic', updatedAt: 1, decidedBy: null };
  const decision = (over: Partial<ReviewDecision>): ReviewDecision => ({ decisionId: 'd1', taskId: 't1', entityId: 'ent-9', approved: true, operator: 'op-1', reason: null, decidedAt: 50, eventIds: [], entityType: 'Patient', ...over });

  it('given an approval of the whole task, then every event is verified at operator confidence and the task closes approved', () => {
    expect(verdictsForDecision(decision({}), task, (d, e) => `${d}/${e}`)).toEqual([
      expect.objectContaining({ verdictId: 'd1/a', eventId: 'a', outcome: 'verified', confidence: 1, judge: 'operator:op-1' }),
      expect.objectContaining({ verdictId: 'd1/b', eventId: 'b', outcome: 'verified', confidence: 1 }),
    ]);
    expect(applyDecision(task, decision({}))).toMatchObject({ status: 'approved', decidedBy: 'op-1', updatedAt: 50 });
  });

  it('given a rejection of some events, then those are rejected and the task stays open with the rest', () => {
    const d = decision({ approved: false, eventIds: ['a'] });
    expect(verdictsForDecision(d, task, (x, e) => `${x}/${e}`)).toEqual([expect.objectContaining({ eventId: 'a', outcome: 'rejected' })]);
    expect(applyDecision(task, d)).toMatchObject({ status: 'open', eventIds: ['b'] });
  });
});
