import { describe, expect, it } from 'vitest';
import { mappingConfigSchema, ruleSetConfigSchema, toRuleSet } from './rule-set-schema.ts';
import { mapRecord } from './rules.ts';
import type { RawRecord } from '../types.ts';
import type { z } from 'zod';

const formatIssues = (e: z.ZodError): string[] => e.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

const referral = {
  id: 'acme-referral', version: '3', resourceType: 'ReferralRow', entityType: 'Referral', origin: 'crm_sync',
  fields: {
    status: { path: 'state', transforms: ['lower'], codeMap: { open: 'active' } },
    'patient.phone': { path: ['contact.mobile', 'contact.home'], transforms: ['e164'] },
  },
  identifiers: [{ path: 'ref_no', system: 'urn:acme:referral' }],
};

describe('rule-set configuration', () => {
  it('given a new entity type in configuration, then records map to it with no code change', () => {
    const rules = toRuleSet(ruleSetConfigSchema.parse(referral));
    const raw = { recordId: 'r', dataSourceId: 'acme', system: 'acme', resourceType: 'ReferralRow', externalId: '7', observedAt: 1 } as RawRecord;
    const e = mapRecord(raw, { state: 'OPEN', contact: { home: '555 201 3344' }, ref_no: 'R-7' }, rules, { recordedAt: 2, eventId: () => 'e' });
    expect(e).toMatchObject({ entityType: 'Referral', mappingVersion: 'acme-referral@3', confidence: 1, attributes: { status: '"active"', 'patient.phone': '"+15552013344"' } });
    expect(e.identifiers).toEqual([{ system: 'urn:acme:referral', value: 'R-7' }]);
  });

  it('names every bad setting by its dotted path', () => {
    const bad = { ruleSets: [{ ...referral, entityType: 'referral', fields: { status: { path: 'state[open', transforms: ['shout'] } } }, { ...referral }] };
    const result = mappingConfigSchema.safeParse(bad);
    expect(result.success).toBe(false);
    const issues = formatIssues(result.error!).join('\n');
    expect(issues).toMatch(/ruleSets\.0\.entityType: PascalCase/);
    expect(issues).toMatch(/ruleSets\.0\.fields\.status\.path/);
    expect(issues).toMatch(/ruleSets\.0\.fields\.status\.transforms\.0/);
  });

  it('refuses two rule sets for one resource type', () => {
    const result = mappingConfigSchema.safeParse({ ruleSets: [referral, { ...referral, id: 'other' }] });
    expect(formatIssues(result.error!)).toEqual(['ruleSets.1.resourceType: ReferralRow is already mapped by ruleSets.0']);
  });
});
