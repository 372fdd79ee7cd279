import { describe, expect, it } from 'vitest';
import { gate } from './gates.ts';
import { initialState } from '../projection/evolve.ts';
import type { EntityState, FieldValue } from '../types.ts';

const f = (over: Partial<FieldValue>): FieldValue => ({ valueJson: '"x"', eventId: 'e', dataSourceId: 'ehr-a', origin: 'ehr_sync', confidence: 1, observedAt: 1, verified: true, ...over });
const state = (fields: Record<string, FieldValue>): EntityState => ({ ...initialState('ent', 'Patient'), fields });
const policy = { sinkId: 'ehr-b', ownDataSourceIds: ['ehr-b-reader'], threshold: 0.9, entityTypes: ['Patient'] };

describe('sink gates', () => {
  it('passes verified values at or above the threshold', () => {
    const r = gate(state({ a: f({}) }), policy);
    expect(r.pass && Object.keys(r.fields)).toEqual(['a']);
  });
  it('never echoes a value back to the system it came from', () => {
    const r = gate(state({ a: f({ dataSourceId: 'ehr-b-reader' }), b: f({}) }), policy);
    expect(r.pass && Object.keys(r.fields)).toEqual(['b']);
  });
  it('holds unreviewed voice data', () => {
    const r = gate(state({ a: f({ origin: 'voice', confidence: 0.5, verified: false }) }), policy);
    expect(r).toMatchObject({ pass: false });
  });
  it('refuses entity types the sink does not take', () => {
    expect(gate({ ...state({ a: f({}) }), entityType: 'Location' }, policy)).toMatchObject({ pass: false });
  });
});
