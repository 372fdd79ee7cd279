import { describe, expect, it } from 'vitest';
import { gate, type Approvals, type SinkPolicy } from './gates.ts';
import { initialState } from '../projection/evolve.ts';
import type { EntityState, FieldValue } from '../types.ts';

const f = (over: Partial<FieldValue> & { category?: string }): FieldValue => ({ valueJson: '"x"', eventId: 'e', dataSourceId: 'ehr-a', origin: 'ehr_sync', confidence: 1, observedAt: 1, verified: true, ...over });
const given = (fields: Record<string, FieldValue>): EntityState => ({ ...initialState('ent', 'Patient'), fields });
const policy: SinkPolicy = { sinkId: 'ehr-b', ownDataSourceIds: ['ehr-b-reader'], threshold: 0.9, entityTypes: ['Patient'] };
const signOff: SinkPolicy = { ...policy, humanReviewCategories: ['insurance'], categoryOf: (name) => (name.startsWith('insurance.') ? 'insurance' : undefined) };
const approvals = (events: Record<string, boolean>, entity?: Approvals['entity']): Approvals => ({ events: new Map(Object.entries(events)), ...(entity ? { entity } : {}) });

describe('sink gates', () => {
  it('given verified values at or above the threshold, when gated, then they pass', () => {
    const r = gate(given({ a: f({}) }), policy);
    expect(r.pass && Object.keys(r.fields)).toEqual(['a']);
  });

  it('given a value read from the sink\'s own system, when gated, then it is never echoed back', () => {
    const r = gate(given({ a: f({ dataSourceId: 'ehr-b-reader' }), b: f({}) }), policy);
    expect(r).toMatchObject({ pass: true, held: { a: 'echo' } });
    expect(r.pass && Object.keys(r.fields)).toEqual(['b']);
  });

  it('given only echoed values, when gated, then the entity is gated with the reason', () => {
    expect(gate(given({ a: f({ dataSourceId: 'ehr-b-reader' }) }), policy)).toMatchObject({ pass: false, code: 'no_eligible_fields', reason: expect.stringContaining('echo: 1') });
  });

  it('given unreviewed voice data (0.5), when gated, then it is held below the threshold', () => {
    expect(gate(given({ a: f({ origin: 'voice', confidence: 0.5, verified: false }) }), policy)).toMatchObject({ pass: false, held: { a: 'below_threshold' } });
  });

  it('given voice data a verdict verified at 0.95, when gated, then it passes', () => {
    expect(gate(given({ a: f({ origin: 'voice', confidence: 0.95, verified: true }) }), policy)).toMatchObject({ pass: true });
  });

  it('given a value at the threshold that no review verified, when gated, then it is held as unverified', () => {
    expect(gate(given({ a: f({ confidence: 0.9, verified: false }) }), policy)).toMatchObject({ pass: false, held: { a: 'unverified' } });
  });

  it('given a category that needs sign-off and no decision, when gated, then that value waits and the rest passes', () => {
    const r = gate(given({ 'insurance.carrier': f({ eventId: 'ins' }), 'name.family': f({}) }), signOff);
    expect(r).toMatchObject({ pass: true, held: { 'insurance.carrier': 'awaiting_sign_off' } });
    expect(r.pass && Object.keys(r.fields)).toEqual(['name.family']);
  });

  it('given the state names the category itself, when gated, then the state\'s category decides', () => {
    const r = gate(given({ memberId: f({ category: 'insurance' }) }), signOff);
    expect(r).toMatchObject({ pass: false, held: { memberId: 'awaiting_sign_off' } });
  });

  it('given an operator approved the event, when gated, then the value passes', () => {
    expect(gate(given({ 'insurance.carrier': f({ eventId: 'ins' }) }), signOff, approvals({ ins: true }))).toMatchObject({ pass: true });
  });

  it('given an operator rejected the event, when gated, then the value is held for good', () => {
    expect(gate(given({ 'insurance.carrier': f({ eventId: 'ins' }) }), signOff, approvals({ ins: false }))).toMatchObject({ pass: false, held: { 'insurance.carrier': 'rejected' } });
  });

  it('given an entity-level approval, when gated, then it covers values observed before it only', () => {
    const state = given({ 'insurance.carrier': f({ eventId: 'old', observedAt: 10 }), 'insurance.memberId': f({ eventId: 'new', observedAt: 30 }) });
    const r = gate(state, signOff, approvals({}, { approved: true, at: 20 }));
    expect(r).toMatchObject({ pass: true, held: { 'insurance.memberId': 'awaiting_sign_off' } });
  });

  it('given an entity type the sink does not take, when gated, then it is refused', () => {
    expect(gate({ ...given({ a: f({}) }), entityType: 'Location' }, policy)).toMatchObject({ pass: false, code: 'entity_type' });
  });

  it('given a deleted entity, when gated, then nothing is written', () => {
    expect(gate({ ...given({ a: f({}) }), deleted: true }, policy)).toMatchObject({ pass: false, code: 'deleted' });
  });
});
