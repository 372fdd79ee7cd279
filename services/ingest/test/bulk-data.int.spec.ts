/**
 * fhir_bulk against a real Bulk Data server over the test FHIR server: kick-off
 * with Prefer: respond-async, status polls with X-Progress and Retry-After in
 * both forms, a storm of 429s, a file that fails once (the job resumes from its
 * checkpoint, it does not restart), an error file reported, and an incremental
 * second export that brings only the changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFhirServer, type FhirServer } from '@cr/fhir-test-server';
import { eventually } from '@cr/e2e';
import { createBulkExportServer, type BulkExportServer } from '@cr/test-peers';
import { countByKey, startIngest, type IngestHarness } from './harness.ts';

let fhir: FhirServer;
let bulk: BulkExportServer;
let h: IngestHarness;

async function create(resource: Record<string, unknown>): Promise<void> {
  await fetch(`${fhir.url}/${String(resource.resourceType)}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(resource) });
}

beforeAll(async () => {
  fhir = await createFhirServer();
  for (let i = 0; i < 12; i++) await create({ resourceType: 'Patient', name: [{ family: `Bulk${i}` }] });
  for (let i = 0; i < 3; i++) await create({ resourceType: 'Observation', status: 'final', code: { text: `o${i}` } });
  bulk = await createBulkExportServer({ upstream: fhir.url, pollsBeforeReady: 2, throttleStatus: 4, linesPerFile: 5, failOnce: ['Patient-2.ndjson'], errors: ['Patient/zz could not be exported'] });
  h = await startIngest('ingbulk');
  await h.configure('bulk', { type: 'fhir_bulk', config: {
    baseUrl: bulk.url, types: ['Patient', 'Observation'], intervalMs: 4_000,
    poll: { initialDelayMs: 100, maxDelayMs: 2_000, jitter: 0.2, maxWaitMs: 60_000 },
    // One attempt per request: the failing file fails the cycle, and the next cycle must resume the same job.
    resilience: { retry: { maxAttempts: 1, initialDelayMs: 50, maxDelayMs: 200 }, breaker: { volumeThreshold: 100 } },
  } });
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await bulk?.close();
  await fhir?.close();
});

describe('fhir_bulk', () => {
  it('exports every resource once, resuming after a failed file instead of restarting', async () => {
    const records = await h.eventuallyRaw('15 exported resources', (rs) => (rs.length >= 15 ? rs : undefined), 60_000);
    expect(records.filter((r) => r.resourceType === 'Patient')).toHaveLength(12);
    expect(records.filter((r) => r.resourceType === 'Observation')).toHaveLength(3);
    expect([...countByKey(records).values()].every((n) => n === 1)).toBe(true);
    expect(bulk.stats.kickoffs).toBe(1);
    expect(bulk.stats.fileGets).toMatchObject({ 'Patient-1.ndjson': 1, 'Patient-2.ndjson': 2, 'Patient-3.ndjson': 1, 'Observation-1.ndjson': 1 });
    const health = await eventually('export finished in health', async () => (await h.health('bulk')).find((x) => x.cycle === 'export' && x.errorCount === 0 && x.detail?.includes('files')), 30_000, 1_000);
    expect(health.detail).toContain('resumed');
    expect(health.detail).toContain('1 export errors');
    expect((await h.health('bulk')).some((x) => x.errorCount === 1 && x.lastErrorClass === 'transport')).toBe(true);
  });

  it('waited out the 429 storm and honoured Retry-After in both forms, showing progress', async () => {
    expect(bulk.stats.throttled).toBe(4);
    expect(bulk.stats.retryAfters.some((r) => /^\d+$/.test(r))).toBe(true);
    expect(bulk.stats.retryAfters.some((r) => /GMT$/.test(r))).toBe(true);
    const progress = (await h.health('bulk')).filter((x) => x.detail?.startsWith('progress '));
    expect(progress.map((x) => x.detail)).toEqual(expect.arrayContaining(['progress 33%', 'progress 67%']));
  });

  it('dead-letters the entries of the export error file', async () => {
    const dead = await eventually('error file entries', async () => { const d = await h.deadLetters('bulk'); return d.length ? d : undefined; });
    expect(dead).toHaveLength(1);
    expect(dead[0]!.headers['dlq.source.file']).toMatch(/errors\.ndjson$/);
    expect(JSON.parse(dead[0]!.value!.toString())).toMatchObject({ resourceType: 'OperationOutcome' });
  });

  it('asks the next export only for changes (_since) and emits only those', async () => {
    const before = (await h.rawRecords('bulk')).length;
    await create({ resourceType: 'Patient', name: [{ family: 'Late' }] });
    const records = await h.eventuallyRaw('the new patient', (rs) => (rs.length > before ? rs : undefined), 60_000);
    await eventually('second export finished', async () => (bulk.stats.kickoffs >= 2 && bulk.stats.deletes >= 2 ? true : undefined), 30_000, 500);
    expect((await h.rawRecords('bulk')).length).toBe(before + 1);
    expect(JSON.parse(records.find((r) => r.payload.includes('Late'))!.payload)).toMatchObject({ name: [{ family: 'Late' }] });
  });
});
