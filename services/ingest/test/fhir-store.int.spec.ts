/**
 * fhir_store against a real FHIR R4 server on loopback: full and incremental
 * cycles, paging, per-resource cadence, the reference-data cache, dedupe on
 * re-poll, 429 storms with Retry-After, an outage that trips the breaker and
 * marks the source unhealthy until it recovers, business-hour gating, and a
 * refused configuration that leaves the running one alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFhirServer, type FhirServer } from '@cr/fhir-test-server';
import { eventually, sleep } from '@cr/e2e';
import { countByKey, startIngest, type IngestHarness } from './harness.ts';

let fhir: FhirServer;
let h: IngestHarness;
const practitioners: string[] = [];
let organization = '';

async function create(resource: Record<string, unknown>): Promise<string> {
  const r = await fetch(`${fhir.url}/${String(resource.resourceType)}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(resource) });
  if (r.status !== 201) throw new Error(`create: ${r.status}`);
  return ((await r.json()) as { id: string }).id;
}

const patient = (i: number) => ({
  resourceType: 'Patient', name: [{ family: `Fam${i}`, given: ['T'] }], gender: 'unknown',
  generalPractitioner: [{ reference: `Practitioner/${practitioners[i % practitioners.length]}` }],
  managingOrganization: { reference: `Organization/${organization}` },
});

const config = (overrides: Record<string, unknown> = {}) => ({
  baseUrl: fhir.url,
  resources: [
    { type: 'Patient', intervalMs: 300, pageSize: 4, fullIntervalMs: 2_000 },
    { type: 'Encounter', intervalMs: 3_000, pageSize: 50 },
  ],
  resilience: {
    retry: { maxAttempts: 4, initialDelayMs: 50, maxDelayMs: 1_500, jitter: 0.2 },
    breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 1_500, timeoutMs: 5_000 },
    rateLimit: { requestsPerSecond: 50, burst: 20 },
    unhealthyAfter: 2,
  },
  ...overrides,
});

beforeAll(async () => {
  fhir = await createFhirServer();
  for (let i = 0; i < 2; i++) practitioners.push(await create({ resourceType: 'Practitioner', name: [{ family: `Doc${i}` }] }));
  organization = await create({ resourceType: 'Organization', name: 'Clinic' });
  for (let i = 0; i < 10; i++) await create(patient(i));
  await create({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/x' } });
  fhir.resetStats();
  h = await startIngest('ingfhir');
  await h.configure('ehr', { type: 'fhir_store', config: config() });
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await fhir?.close();
});

describe('fhir_store', () => {
  it('ingests every resource once, with the reference data it points at read once each', async () => {
    const records = await h.eventuallyRaw('13 patients and references', (r) => (r.length >= 14 ? r : undefined));
    const counts = countByKey(records);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(records.filter((r) => r.resourceType === 'Patient')).toHaveLength(10);
    expect(records.filter((r) => r.resourceType === 'Encounter')).toHaveLength(1);
    expect(records.filter((r) => r.resourceType === 'Practitioner').map((r) => r.externalId).sort()).toEqual([...practitioners].sort());
    expect(records.filter((r) => r.resourceType === 'Organization').map((r) => r.externalId)).toEqual([organization]);
    // Ten patients point at two practitioners: each practitioner was read once, not once per patient.
    expect(fhir.stats().requests.byResourceType.Practitioner).toBe(2);
    expect(records.every((r) => r.dataSourceId === 'ehr' && r.sourceType === 'fhir_store' && r.system === fhir.url)).toBe(true);
  });

  it('re-polls (incremental and full cycles, each resource on its own cadence) without emitting unchanged data', async () => {
    const before = (await h.rawRecords()).length;
    const health = await eventually('full and incremental cycles', async () => {
      const hs = (await h.health('ehr')).filter((x) => x.resourceType === 'Patient');
      return hs.some((x) => x.cycle === 'full') && hs.filter((x) => x.cycle === 'incremental').length >= 5 && hs.filter((x) => x.cycle === 'full').length >= 2 ? hs : undefined;
    }, 30_000, 1_000);
    expect(health.every((x) => x.status === 'healthy' && x.connectorType === 'fhir_store')).toBe(true);
    const all = await h.health('ehr');
    const patientCycles = all.filter((x) => x.resourceType === 'Patient').length;
    const encounterCycles = all.filter((x) => x.resourceType === 'Encounter').length;
    expect(patientCycles).toBeGreaterThan(encounterCycles * 3);
    expect((await h.rawRecords()).length).toBe(before);
  });

  it('emits a changed record once more, and only that one', async () => {
    const before = await h.rawRecords();
    const target = before.find((r) => r.resourceType === 'Patient')!;
    const current = JSON.parse(target.payload) as Record<string, unknown>;
    const r = await fetch(`${fhir.url}/Patient/${target.externalId}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ ...current, meta: undefined, gender: 'female' }) });
    expect(r.status).toBe(200);
    const after = await h.eventuallyRaw('the update', (rs) => (rs.length > before.length ? rs : undefined));
    await sleep(1_500);
    const final = await h.rawRecords();
    expect(final.length).toBe(before.length + 1);
    // readAll does not order records across partitions: the new one is the one not seen before.
    const seen = new Set(before.map((x) => x.recordId));
    const added = after.filter((x) => !seen.has(x.recordId));
    expect(added).toHaveLength(1);
    expect(JSON.parse(added[0]!.payload)).toMatchObject({ id: target.externalId, gender: 'female' });
  });

  it('rides out a storm of 429s with Retry-After, losing nothing', async () => {
    const before = (await h.rawRecords()).length;
    fhir.faults.set({ status429: { count: 6, retryAfter: '1' }, only: { methods: ['GET'] } });
    await create(patient(100));
    await h.eventuallyRaw('patient created during the storm', (rs) => (rs.length === before + 1 ? true : undefined), 30_000);
    expect(fhir.stats().faultsFired.status429).toBeGreaterThan(0);
    fhir.faults.clear();
  });

  it('marks the source unhealthy through an outage (circuit open) and heals on its own', async () => {
    fhir.faults.set({ status503: { count: 1_000 }, only: { methods: ['GET'] } });
    const down = await eventually('unhealthy', async () => (await h.health('ehr')).findLast((x) => x.resourceType === 'Patient' && x.status === 'unhealthy'), 30_000, 1_000);
    expect(down.lastErrorClass).toBe('transport');
    await eventually('circuit open reported', async () => ((await h.health('ehr')).some((x) => x.lastError?.includes('circuit open')) ? true : undefined), 30_000, 1_000);
    fhir.faults.clear();
    await eventually('healthy again', async () => {
      const last = (await h.health('ehr')).findLast((x) => x.resourceType === 'Patient');
      return last?.status === 'healthy' && last.errorCount === 0 ? true : undefined;
    }, 30_000, 1_000);
  });

  it('refuses a bad configuration with the field path and keeps the running one', async () => {
    await h.configure('ehr', { type: 'fhir_store', config: { ...config(), resources: [{ type: 'Patient', pageSize: 5_000 }] } });
    const dead = await eventually('refusal dead letter', async () => (await h.run.kafka.readAllRaw('ingest.dead-letter.v1', { timeoutMs: 5_000 })).find((d) => d.key?.toString() === 'ehr'), 30_000, 1_000);
    expect(dead.headers['dlq.error.message']).toContain('config.resources.0.pageSize');
    expect(dead.headers['dlq.error.class']).toBe('payload');
    const before = (await h.rawRecords()).length;
    await create(patient(101));
    await h.eventuallyRaw('the old config still polls', (rs) => (rs.length === before + 1 ? true : undefined), 30_000);
  });

  it('does not poll outside its business-hour gate', async () => {
    const today = ((new Date().getUTCDay() + 6) % 7) + 1;
    const otherDays = [1, 2, 3, 4, 5, 6, 7].filter((d) => d !== today && d !== (today % 7) + 1 && d !== ((today + 5) % 7) + 1);
    await h.configure('gated', { type: 'fhir_store', config: config({ businessHours: { timezone: 'UTC', days: otherDays, start: '00:00', end: '23:59', poll: 'during' } }) });
    await h.configure('open', { type: 'fhir_store', config: config({ resources: [{ type: 'Encounter', intervalMs: 500 }] }) });
    await h.eventuallyRaw('the ungated source polls', (rs) => (rs.some((r) => r.dataSourceId === 'open') ? true : undefined), 30_000);
    await sleep(1_000);
    expect((await h.rawRecords('gated')).length).toBe(0);
    expect((await h.health('gated')).length).toBe(0);
  });
});
