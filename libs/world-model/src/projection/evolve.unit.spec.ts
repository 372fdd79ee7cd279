import { describe, expect, it } from 'vitest';
import { evolve, historyOf, initialState, plainFields, stateOf, type ProjectionDoc, type ProjectionInput } from './evolve.ts';
import type { EntityLinks, EntityState, ResolvedEvent, Verdict, WorldEvent } from '../types.ts';

let seq = 0;
function event(over: Omit<Partial<WorldEvent>, 'attributes'> & { attributes: Record<string, unknown>; rule?: string }): ResolvedEvent {
  const { attributes, rule, ...rest } = over;
  const e: WorldEvent = {
    eventId: `e-${String(++seq).padStart(3, '0')}`, entityType: 'Patient',
    source: { dataSourceId: 'ehr', system: 'http://ehr', resourceType: 'Patient', externalId: '1' },
    attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, JSON.stringify(v)])),
    identifiers: [], confidence: 1, origin: 'ehr_sync', observedAt: 1000, recordedAt: 1000,
    mappingVersion: 't@1', causationId: 'r', category: null, deleted: false, ...rest,
  };
  return { entityId: 'ent-1', event: e, resolution: { tier: 1, rule: rule ?? 'test', score: 1, features: [] } };
}
const voice = (attributes: Record<string, unknown>, observedAt = 5000): ResolvedEvent => event({
  origin: 'voice', confidence: 0.5, observedAt, recordedAt: observedAt, attributes, rule: 'caller-entity-id',
  source: { dataSourceId: 'voice', system: 'connector-runner-api', resourceType: 'Patient', externalId: `call-${seq}` },
});
const verdict = (on: ResolvedEvent, outcome: string, decidedAt = 9000, confidence = 1, judge = 'deterministic'): Verdict => ({
  verdictId: `v-${on.event.eventId}-${outcome}-${decidedAt}`, entityId: on.entityId, eventId: on.event.eventId, outcome, confidence, judge, reason: null, decidedAt,
});
const links = (members: string[], change = 'link', revision = members.length): EntityLinks => ({
  entityId: 'ent-1', entityType: 'Patient', change, changedBy: 'resolution', reason: null, revision,
  members: members.map((sourceKey) => ({ sourceKey, rule: 'r', score: 1, features: [], linkedAt: 1 })),
});

const asInput = (x: ResolvedEvent | Verdict | EntityLinks): ProjectionInput =>
  'event' in x ? { kind: 'event', resolved: x } : 'verdictId' in x ? { kind: 'verdict', verdict: x } : { kind: 'links', entityId: x.entityId, links: x };
const fold = (inputs: (ResolvedEvent | Verdict | EntityLinks)[]): ProjectionDoc => inputs.reduce<ProjectionDoc | null>((d, x) => evolve(d, asInput(x)), null)!;
/** given(inputs).then(state): the state of the entity after the inputs. */
const given = (...inputs: (ResolvedEvent | Verdict | EntityLinks)[]): EntityState => stateOf(fold(inputs));

describe('projection: conflict resolution per field', () => {
  it('given an EHR value, when a voice value at 0.5 arrives, then the EHR value stays and the voice value is in history as lost', () => {
    const ehr = event({ attributes: { phone: '+15550001' } });
    const call = voice({ phone: '+15559999' });
    const s = given(ehr, call);
    expect(plainFields(s).phone).toBe('+15550001');
    expect(s.fields.phone).toMatchObject({ eventId: ehr.event.eventId, dataSourceId: 'ehr', origin: 'ehr_sync', confidence: 1, observedAt: 1000, verified: true });
    expect(historyOf(fold([ehr, call])).filter((h) => h.field === 'phone').map((h) => [h.change, h.eventId, h.reason])).toEqual([
      ['set', ehr.event.eventId, undefined],
      ['lost', call.event.eventId, 'lower confidence'],
    ]);
  });

  it('given a value, when a newer one of equal confidence arrives, then the newer wins', () => {
    expect(plainFields(given(event({ attributes: { city: 'A' } }), event({ observedAt: 2000, attributes: { city: 'B' } }))).city).toBe('B');
  });

  it('given a newer value, when a stale read of equal confidence arrives, then it does not override', () => {
    expect(plainFields(given(event({ observedAt: 2000, attributes: { city: 'B' } }), event({ observedAt: 1000, attributes: { city: 'A' } }))).city).toBe('B');
  });

  it('given only a voice value, then it is shown unverified at 0.5', () => {
    const s = given(voice({ 'insurance.memberId': 'XK-1234' }));
    expect(s.fields['insurance.memberId']).toMatchObject({ confidence: 0.5, verified: false, origin: 'voice', dataSourceId: 'voice' });
    expect(s.minConfidence).toBe(0.5);
  });
});

describe('projection: review verdicts', () => {
  it('given unverified voice data, when review verifies it, then the field is verified and upgraded, and the input is not mutated', () => {
    const call = voice({ memberId: 'X1' });
    const before = fold([call]);
    const after = stateOf(evolve(before, { kind: 'verdict', verdict: verdict(call, 'verified', 6000, 0.95) }));
    expect(after.fields.memberId).toMatchObject({ verified: true, confidence: 0.95 });
    expect(stateOf(before).fields.memberId!.verified).toBe(false);
  });

  it('given a verified newer voice value, when an older EHR read of the same field arrives, then it does not overwrite it', () => {
    const oldEhr = event({ observedAt: 1000, attributes: { 'insurance.memberId': 'OLD-1' } });
    const call = voice({ 'insurance.memberId': 'NEW-2' }, 5000);
    const staleRead = event({ observedAt: 3000, recordedAt: 9500, attributes: { 'insurance.memberId': 'OLD-1b' } });
    expect(plainFields(given(oldEhr, call))['insurance.memberId']).toBe('OLD-1'); // before review: not shown
    const s = given(oldEhr, call, verdict(call, 'verified', 6000, 1, 'operator:op-1'), staleRead);
    expect(s.fields['insurance.memberId']).toMatchObject({ valueJson: '"NEW-2"', verified: true, confidence: 1, origin: 'voice' });
  });

  it('given an operator rejection, then the rejected value gives way to the next best and history says so', () => {
    const ehr = event({ observedAt: 1000, attributes: { email: 'a@x.test' } });
    const call = voice({ email: 'b@x.test' });
    const approved = verdict(call, 'verified', 6000);
    const rejected = verdict(call, 'rejected', 7000, 0.5, 'operator:op-2');
    expect(plainFields(given(ehr, call, approved)).email).toBe('b@x.test');
    const doc = fold([ehr, call, approved, rejected]);
    expect(plainFields(stateOf(doc)).email).toBe('a@x.test');
    expect(historyOf(doc).map((h) => h.change)).toEqual(['set', 'lost', 'verified', 'set', 'rejected', 'set']);
    expect(historyOf(doc).at(-2)).toMatchObject({ change: 'rejected', by: 'operator:op-2' });
  });

  it('given a verdict that arrives before its event (a replay), then the state is the same as live', () => {
    const call = voice({ phone: '+15551112222' });
    const v = verdict(call, 'verified');
    expect(given(v).fields).toEqual({}); // a verdict alone shows nothing
    expect(given(v, call)).toEqual(given(call, v));
    expect(given(v, call).fields.phone!.verified).toBe(true);
  });
});

describe('projection: thresholds per entity type and field category', () => {
  it('given a stricter insurance threshold, then a 0.9 insurance value is unverified while a 0.9 phone is verified', () => {
    const scraped = event({ confidence: 0.9, origin: 'scrape', attributes: { phone: '+15550001', 'insurance.memberId': 'M-77' } });
    const s = stateOf(fold([scraped]), { thresholds: { default: 0.9, overrides: { 'Patient.insurance': 0.95 } } });
    expect(s.fields.phone!.verified).toBe(true);
    expect(s.fields['insurance.memberId']!.verified).toBe(false);
  });
});

describe('projection: links', () => {
  const a = event({ attributes: { 'name.family': 'A' }, source: { dataSourceId: 'ehr', system: 's', resourceType: 'Patient', externalId: 'a' } });
  const b = event({ observedAt: 2000, attributes: { 'name.family': 'B', phone: '+15550002' }, source: { dataSourceId: 'crm', system: 's', resourceType: 'Contact', externalId: 'b' } });
  const call = voice({ 'insurance.memberId': 'Z9' });

  it('given a merged entity, when an unlink removes a member, then the state is rebuilt from the remaining members (and caller-attached events)', () => {
    const merged = given(a, b, call, links(['ehr/Patient/a', 'crm/Contact/b'], 'merge'));
    expect(plainFields(merged)).toMatchObject({ 'name.family': 'B', phone: '+15550002' });
    const split = given(a, b, call, links(['ehr/Patient/a', 'crm/Contact/b'], 'merge'), links(['ehr/Patient/a'], 'unlink', 3));
    expect(plainFields(split)).toEqual({ 'name.family': 'A', 'insurance.memberId': 'Z9' });
    expect(split.sourceRefs.map((r) => r.externalId)).toEqual(['a', call.event.source.externalId]);
  });

  it('given links deleted (tombstone), then the entity has no member records and is marked deleted', () => {
    const doc = evolve(fold([a]), { kind: 'links', entityId: 'ent-1', links: null });
    expect(stateOf(doc)).toMatchObject({ deleted: true, fields: {}, eventCount: 0 });
  });
});

describe('projection: determinism and idempotence', () => {
  const ehr = event({ attributes: { phone: '+15550001', 'name.family': 'X' }, identifiers: [{ system: 'mrn', value: '9' }] });
  const call = voice({ phone: '+15559999', 'insurance.memberId': 'Q1' });
  const newer = event({ observedAt: 7000, attributes: { 'name.family': 'Y' }, source: { dataSourceId: 'crm', system: 's', resourceType: 'Contact', externalId: 'c' } });
  const inputs = [ehr, call, newer, verdict(call, 'verified', 8000), links(['ehr/Patient/1', 'crm/Contact/c'])];

  it('is idempotent: an input applied twice returns the same document', () => {
    const doc = fold(inputs);
    for (const x of inputs) expect(evolve(doc, asInput(x))).toBe(doc);
  });

  it('gives the identical state and history for every arrival order of the same inputs (replay)', () => {
    const reference = stateOf(fold(inputs));
    const history = historyOf(fold(inputs));
    const permutations = (xs: typeof inputs): (typeof inputs)[] => xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
    for (const order of permutations(inputs)) {
      expect(stateOf(fold(order))).toEqual(reference);
      expect(historyOf(fold(order))).toEqual(history);
    }
    expect(reference.version).toBe(5);
    expect(plainFields(reference)).toEqual({ phone: '+15559999', 'name.family': 'Y', 'insurance.memberId': 'Q1' });
  });

  it('does not depend on the key order of stored attributes (jsonb reorders keys)', () => {
    const a = event({ eventId: 'k-1', attributes: { zeta: 1, alpha: 2, 'name.family': 'K' } });
    const b: ResolvedEvent = { ...a, event: { ...a.event, attributes: Object.fromEntries(Object.entries(a.event.attributes).reverse()) } };
    expect(historyOf(fold([b]))).toEqual(historyOf(fold([a])));
    expect(JSON.stringify(stateOf(fold([b])))).toBe(JSON.stringify(stateOf(fold([a]))));
  });

  it('history ends with the state: the last set of each field is its value', () => {
    const doc = fold(inputs);
    const last = new Map<string, string>();
    for (const h of historyOf(doc)) if (h.change === 'set') last.set(h.field, h.eventId);
    expect(Object.fromEntries(last)).toEqual(Object.fromEntries(Object.entries(stateOf(doc).fields).map(([k, f]) => [k, f.eventId])));
  });

  it('initialState is empty', () => {
    expect(initialState('e', 'Patient')).toMatchObject({ fields: {}, version: 0 });
  });
});
