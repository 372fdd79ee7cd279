import { describe, expect, it } from 'vitest';
import { sinkEnv, sinkServiceConfigSchema } from './config.ts';

const parse = (env: NodeJS.ProcessEnv) => sinkServiceConfigSchema.safeParse(sinkEnv(env));
const problems = (env: NodeJS.ProcessEnv): string[] => {
  const r = parse(env);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('sink settings from the environment', () => {
  it('given only the plain variables, when parsed, then a FHIR Patient sink with the defaults results', () => {
    const r = parse({ SINK_ID: 'ehr-b', SINK_FHIR_BASE_URL: 'http://127.0.0.1:1/fhir', SINK_OWN_DATA_SOURCE_IDS: 'ehr-b-poll, x', SINK_WRITES_PER_SECOND: '2.5' });
    expect(r.success && r.data).toMatchObject({ id: 'ehr-b', type: 'fhir_store', entityTypes: ['Patient'], ownDataSourceIds: ['ehr-b-poll', 'x'], rateLimit: { writesPerSecond: 2.5 }, target: { baseUrl: 'http://127.0.0.1:1/fhir' } });
  });

  it('given a JSON configuration and variables, when parsed, then the variables win and empty ones count as unset', () => {
    const json = JSON.stringify({ id: 'crm', type: 'crm', target: { baseUrl: 'http://127.0.0.1:2' }, ownDataSourceIds: ['crm-poll'], rateLimit: { writesPerSecond: 1 } });
    const r = parse({ SINK_CONFIG_JSON: json, SINK_OWN_DATA_SOURCE_IDS: '', SINK_WRITES_PER_SECOND: '3' });
    expect(r.success && r.data).toMatchObject({ id: 'crm', type: 'crm', ownDataSourceIds: ['crm-poll'], rateLimit: { writesPerSecond: 3 } });
  });

  it('given bad values, when parsed, then each is named by its dotted path', () => {
    expect(problems({ SINK_ID: 'Bad Id!', SINK_FHIR_BASE_URL: 'nope', SINK_THRESHOLD: '1.5' }).map((p) => p.split(':')[0])).toEqual(['id', 'fhirBaseUrl', 'threshold']);
    expect(problems({})).toEqual([expect.stringMatching(/^id: /), expect.stringMatching(/^fhirBaseUrl: /)]);
    expect(problems({ SINK_ID: 'x', SINK_FHIR_BASE_URL: 'http://h', SINK_CONFIG_JSON: '{"rateLimit":{"writesPerSecond":-1}}' })).toEqual([expect.stringMatching(/^rateLimit\.writesPerSecond: /)]);
    expect(problems({ SINK_ID: 'x', SINK_CONFIG_JSON: '{not json' })).toEqual([expect.stringMatching(/^configJson: not readable JSON/)]);
  });
});
