import { describe, expect, it } from 'vitest';
import { sinkConfigSchema } from './sink-config.ts';

const issues = (input: unknown): string[] => {
  const r = sinkConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('sink configuration', () => {
  it('given the minimal FHIR sink, when parsed, then defaults fill gates, rate limit, reconciliation and built-in mappings', () => {
    const c = sinkConfigSchema.parse({ id: 'ehr-b', target: { baseUrl: 'http://127.0.0.1:1/fhir' } });
    expect(c).toMatchObject({ type: 'fhir_store', entityTypes: ['Patient'], threshold: 0.9, rateLimit: { writesPerSecond: 10 }, reconcile: { enabled: true, readBack: true } });
    expect(c.mappings.Patient?.target).toBe('Patient');
  });

  it('given a rest sink with a type it has no mapping for, when parsed, then the problem names its dotted path', () => {
    expect(issues({ id: 'r', type: 'rest', target: { baseUrl: 'http://127.0.0.1:1' }, entityTypes: ['Patient'] })).toEqual([expect.stringMatching(/^mappings\.Patient: no mapping for Patient/)]);
  });

  it('given unwritable paths, a bad rate and an LLM code without LLM settings, when parsed, then each is named', () => {
    const found = issues({
      id: 'c', type: 'crm', target: { baseUrl: 'http://127.0.0.1:1' }, rateLimit: { writesPerSecond: 0 },
      mappings: { Patient: { target: '/contacts', fields: { phone: { path: 'phones[*]' }, note: { path: 'properties.note', code: { llm: true } } } } },
    });
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/^rateLimit\.writesPerSecond: /),
      expect.stringMatching(/^mappings\.Patient\.fields\.phone\.path: .*\[\*\]/),
    ]));
  });

  it('given a smart_fhir sink without SMART auth, when parsed, then it is refused', () => {
    expect(issues({ id: 's', type: 'smart_fhir', target: { baseUrl: 'http://127.0.0.1:1' } })).toEqual(['target.auth.kind: a smart_fhir sink authenticates with kind: smart']);
  });
});
