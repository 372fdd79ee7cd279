import { describe, expect, it } from 'vitest';
import type { RawRecord } from '@cr/world-model';
import { createRuleRegistry } from './rule-registry.ts';
import { unify } from './unify.ts';

const raw = (resourceType: string, payload: unknown, dataSourceId = 'acme'): RawRecord => ({
  recordId: `r-${resourceType}`, dataSourceId, sourceType: 'rest', system: 'acme', resourceType, externalId: '1',
  contentHash: 'h', payload: JSON.stringify(payload), sourceVersion: null, sourceLastUpdated: null, observedAt: 1, ingestedAt: 2,
});
const source = (mapping: unknown) => ({ id: 'acme', type: 'rest', enabled: true, configJson: JSON.stringify({ baseUrl: 'http://x', mapping }) });
const rows = {
  id: 'acme-patients', version: '2', resourceType: 'PatientRow', entityType: 'Patient', origin: 'crm_sync',
  fields: { 'name.family': { path: 'surname', transforms: ['title'] }, birthDate: { path: 'born', transforms: ['date-dmy'] } },
};

describe('mapping rules per data source', () => {
  it('given a source with its own rules, then its records map with them and others keep the built-in ones', () => {
    const registry = createRuleRegistry();
    registry.apply('acme', source({ ruleSets: [rows] }));
    const own = unify(raw('PatientRow', { surname: 'SMITH', born: '15.03.1982' }), registry.ruleSetsFor('acme'));
    expect(own).toMatchObject({ mappingVersion: 'acme-patients@2', attributes: { 'name.family': '"Smith"', birthDate: '"1982-03-15"' } });
    const builtIn = unify(raw('PatientRow', { last_name: 'SMITH', dob: '03/15/1982' }, 'other'), registry.ruleSetsFor('other'));
    expect(builtIn).toMatchObject({ mappingVersion: 'tabular-patient@1', attributes: { 'name.family': '"SMITH"', birthDate: '"1982-03-15"' } });
  });

  it('given new rule versions, then the same record gets a new event id and carries the new version', () => {
    const registry = createRuleRegistry();
    registry.apply('acme', source({ ruleSets: [rows] }));
    const before = unify(raw('PatientRow', { surname: 'x' }), registry.ruleSetsFor('acme'));
    registry.apply('acme', source({ ruleSets: [{ ...rows, version: '3' }] }));
    const after = unify(raw('PatientRow', { surname: 'x' }), registry.ruleSetsFor('acme'));
    expect(after.eventId).not.toBe(before.eventId);
    expect(after.mappingVersion).toBe('acme-patients@3');
    expect(unify(raw('PatientRow', { surname: 'x' }), registry.ruleSetsFor('acme')).eventId).toBe(after.eventId);
  });

  it('refuses an invalid mapping by its dotted path and keeps the rules in force', () => {
    const registry = createRuleRegistry();
    registry.apply('acme', source({ ruleSets: [rows] }));
    expect(() => registry.apply('acme', source({ ruleSets: [{ ...rows, fields: { x: { path: 'a[' } } }] }))).toThrow(/mapping\.ruleSets\.0\.fields\.x\.path/);
    expect(registry.ruleSetsFor('acme')[0]!.version).toBe('2');
    registry.apply('acme', null);
    expect(registry.ruleSetsFor('acme')).toEqual([]);
  });

  it('sends a record no rule can map to dead letters with the reason', () => {
    expect(() => unify(raw('Basic', { a: 1 }), [])).toThrow(/no mapping rule set for resource type Basic \(data source acme\)/);
    expect(() => unify(raw('PatientRow', { unrelated: 'x' }), [])).toThrow(/found no attributes or identifiers/);
  });
});
