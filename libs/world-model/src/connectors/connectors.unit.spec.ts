import { describe, expect, it } from 'vitest';
import { dataSourceSchema } from './data-source.ts';
import { insideBusinessHours, mayPoll } from './business-hours.ts';
import { evolveSourceHealth, initialSourceHealth } from './source-health.ts';

const fhirStore = { id: 'ehr-a', name: 'EHR A', type: 'fhir_store', config: { baseUrl: 'http://ehr.test/fhir/R4', resources: [{ type: 'Patient', intervalMs: 500, pageSize: 10 }] } };

describe('data-source configuration', () => {
  it('given the minimal fhir_store config, when parsed, then defaults fill cadence, resilience and reference data', () => {
    const parsed = dataSourceSchema.parse(fhirStore);
    expect(parsed.type).toBe('fhir_store');
    if (parsed.type !== 'fhir_store') throw new Error('narrowing');
    expect(parsed.enabled).toBe(true);
    expect(parsed.config.resources[0]).toMatchObject({ type: 'Patient', intervalMs: 500, pageSize: 10, fullIntervalMs: 86_400_000 });
    expect(parsed.config.resilience).toMatchObject({ unhealthyAfter: 3, retry: { maxAttempts: 5 }, rateLimit: { requestsPerSecond: 10 }, breaker: { errorThresholdPercentage: 50 } });
    expect(parsed.config.referenceData.types).toEqual(['Practitioner', 'Location', 'Organization']);
  });

  it('given a wrong field deep in a config, when parsed, then the refusal names its dotted path', () => {
    const bad = { ...fhirStore, config: { ...fhirStore.config, resources: [{ type: 'Patient', pageSize: 5000 }] } };
    expect(issues(bad)).toEqual(['config.resources.0.pageSize: Too big: expected number to be <=1000']);
    const smart = { id: 's', name: 'S', type: 'smart_fhir', config: { baseUrl: 'http://x.test', resources: [{ type: 'Patient' }], auth: { clientId: 'c', privateKeyRef: 'plain-text-key', keyId: 'k', scopes: ['patient/Patient.read'] } } };
    expect(issues(smart).map((i) => i.split(':')[0])).toEqual(['config.auth.privateKeyRef', 'config.auth.scopes.0']);
  });

  it('given a secret header template with two placeholders, when parsed, then it is refused', () => {
    const rest = { id: 'r', name: 'R', type: 'rest', config: { baseUrl: 'http://api.test', endpoints: [{ resourceType: 'Item', path: '/items' }],
      auth: { type: 'token_exchange', exchangeUrl: 'http://api.test/token', secretRef: 'env:K', params: ['practice'], secretHeader: { template: '{secret}:{secret}' } } } };
    expect(issues(rest)).toEqual(['config.auth.secretHeader.template: must contain exactly one {secret} placeholder']);
  });

  it('given csv files without a resource type, when parsed, then the rule is refused at its path', () => {
    const drop = { id: 'd', name: 'D', type: 'file_drop', config: { directory: '/tmp/x', files: [{ pattern: '*.csv', format: 'csv' }] } };
    expect(issues(drop)).toEqual(['config.files.0.resourceType: required for csv and json files']);
  });

  it('given an unknown type, when parsed, then the discriminator is refused', () => {
    expect(issues({ ...fhirStore, type: 'ftp' })[0]).toMatch(/^type: /);
  });
});

describe('business-hour gating', () => {
  const hours = { timezone: 'America/New_York', days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', poll: 'outside' as const };
  it('given a Tuesday 10:00 in New York, when checked, then the clinic is open and an outside-hours source waits', () => {
    const tuesday10 = Date.parse('2026-11-17T15:00:00Z');
    expect(insideBusinessHours(hours, tuesday10)).toBe(true);
    expect(mayPoll(hours, tuesday10)).toBe(false);
    expect(mayPoll({ ...hours, poll: 'during' }, tuesday10)).toBe(true);
  });
  it('given a Saturday or a night, when checked, then an outside-hours source polls', () => {
    expect(mayPoll(hours, Date.parse('2026-11-21T15:00:00Z'))).toBe(true);
    expect(mayPoll(hours, Date.parse('2026-11-18T03:00:00Z'))).toBe(true);
  });
  it('given a night shift window past midnight, when checked, then the early morning of the next day is inside', () => {
    const night = { ...hours, start: '22:00', end: '06:00' };
    expect(insideBusinessHours(night, Date.parse('2026-11-18T08:00:00Z'))).toBe(true); // Wed 03:00 NY, shift began Tue
    expect(insideBusinessHours(night, Date.parse('2026-11-18T15:00:00Z'))).toBe(false);
  });
  it('given no gate, when checked, then polling is always allowed', () => {
    expect(mayPoll(undefined, 0)).toBe(true);
  });
});

describe('source health', () => {
  it('given two failures with a threshold of three, when a third fails, then the source turns unhealthy, and one success heals it', () => {
    let s = initialSourceHealth();
    s = evolveSourceHealth(s, { ok: false, errorClass: 'transport' }, 3);
    s = evolveSourceHealth(s, { ok: false, errorClass: 'transport' }, 3);
    expect(s).toEqual({ consecutiveErrors: 2, status: 'healthy' });
    s = evolveSourceHealth(s, { ok: false, errorClass: 'throttling' }, 3);
    expect(s).toEqual({ consecutiveErrors: 3, status: 'unhealthy' });
    expect(evolveSourceHealth(s, { ok: true }, 3)).toEqual({ consecutiveErrors: 0, status: 'healthy' });
  });
});

function issues(input: unknown): string[] {
  const r = dataSourceSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
}
