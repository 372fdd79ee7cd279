import { describe, expect, it } from 'vitest';
import { evolve, plainFields } from './evolve.ts';
import type { EntityState, ResolvedEvent, WorldEvent } from '../types.ts';

function event(over: Omit<Partial<WorldEvent>, 'attributes'> & { attributes: Record<string, unknown> }): ResolvedEvent {
  const { attributes, ...rest } = over;
  const e: WorldEvent = {
    eventId: `e-${Math.random()}`, entityType: 'Patient',
    source: { dataSourceId: 'ehr', system: 'http://ehr', resourceType: 'Patient', externalId: '1' },
    attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, JSON.stringify(v)])),
    identifiers: [], confidence: 1, origin: 'ehr_sync', observedAt: 1000, recordedAt: 1000,
    mappingVersion: 't@1', causationId: 'r', category: null, deleted: false, ...rest,
  };
  return { entityId: 'ent-1', event: e, resolution: { tier: 1, rule: 'test', score: 1, features: [] } };
}

const given = (...events: ResolvedEvent[]): EntityState | null =>
  events.reduce<EntityState | null>((s, r) => evolve(s, { kind: 'event', resolved: r }), null);

describe('projection evolve', () => {
  it('given an EHR value, when a voice value at 0.5 arrives, then the EHR value stays', () => {
    const s = given(event({ attributes: { phone: '+15550001' } }), event({ origin: 'voice', confidence: 0.5, observedAt: 2000, attributes: { phone: '+15559999' } }));
    expect(plainFields(s!).phone).toBe('+15550001');
  });

  it('given a value, when a newer one of equal confidence arrives, then the newer wins', () => {
    const s = given(event({ attributes: { city: 'A' } }), event({ observedAt: 2000, attributes: { city: 'B' } }));
    expect(plainFields(s!).city).toBe('B');
  });

  it('given a newer value, when a stale read of equal confidence arrives, then it does not override', () => {
    const s = given(event({ observedAt: 2000, attributes: { city: 'B' } }), event({ observedAt: 1000, attributes: { city: 'A' } }));
    expect(plainFields(s!).city).toBe('B');
  });

  it('given unverified voice data, when review verifies it, then the field is verified and upgraded', () => {
    const voice = event({ origin: 'voice', confidence: 0.5, attributes: { memberId: 'X1' } });
    const s = given(voice);
    expect(s!.fields.memberId!.verified).toBe(false);
    const after = evolve(s, { kind: 'verdict', verdict: { verdictId: 'v', entityId: 'ent-1', eventId: voice.event.eventId, outcome: 'verified', confidence: 0.95, judge: 't', reason: null, decidedAt: 3000 } });
    expect(after.fields.memberId).toMatchObject({ verified: true, confidence: 0.95 });
    expect(s!.fields.memberId!.verified).toBe(false); // input not mutated
  });

  it('is deterministic: the same events give the same state', () => {
    const evs = [event({ eventId: 'a', attributes: { x: 1 } }), event({ eventId: 'b', observedAt: 5, attributes: { x: 2, y: 3 } })];
    expect(given(...evs)).toEqual(given(...evs));
    expect(given(...evs)!.version).toBe(2);
    expect(given(...evs)!.minConfidence).toBe(1);
  });
});
