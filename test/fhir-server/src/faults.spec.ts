import type { OperationOutcome, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminCount, clearFaults, getStats, setFaults } from './client.ts';
import { unitHash } from './faults.ts';
import type { FaultConfig } from './faults.ts';
import { createFhirServer } from './server.ts';
import type { FhirServer, ServerStats } from './server.ts';
import { call } from './test-helpers.ts';

let server: FhirServer;

beforeAll(async () => {
  server = await createFhirServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
});

const patient = (family: string): Patient => ({ resourceType: 'Patient', name: [{ family }] });
const post = (p: Patient, headers: Record<string, string> = {}): ReturnType<typeof call<Patient>> =>
  call<Patient>(`${server.url}/Patient`, { method: 'POST', body: p, headers });

describe('status faults', () => {
  it('429 with Retry-After (seconds) and OperationOutcome for exactly the next N requests', async () => {
    server.faults.set({ status429: { count: 2, retryAfter: '7' } });
    for (let i = 0; i < 2; i++) {
      const res = await call<OperationOutcome>(`${server.url}/Patient`);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue?.[0]?.code).toBe('throttled');
    }
    expect((await call(`${server.url}/Patient`)).status).toBe(200);
    expect(server.faults.get().status429?.count).toBe(0);
    expect(server.stats().faultsFired.status429).toBe(2);
  });

  it('429 with an HTTP-date Retry-After; the throttled write is not applied', async () => {
    const date = new Date(Date.now() + 30_000).toUTCString();
    server.faults.set({ status429: { count: 1, retryAfter: date } });
    const res = await post(patient('Throttled'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(date);
    expect(await server.count('Patient')).toBe(0);
    expect((await post(patient('Throttled'))).status).toBe(201);
    expect(await server.count('Patient')).toBe(1);
  });

  it('503 for the next N requests, then normal service', async () => {
    server.faults.set({ status503: { count: 1 } });
    const res = await call<OperationOutcome>(`${server.url}/Patient`);
    expect(res.status).toBe(503);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.headers.get('retry-after')).toBeNull();
    expect((await call(`${server.url}/Patient`)).status).toBe(200);
  });

  it('counted faults fire one per request in the order drop, 429, 503', async () => {
    server.faults.set({ status429: { count: 1 }, status503: { count: 1 } });
    expect((await call(`${server.url}/Patient`)).status).toBe(429);
    expect((await call(`${server.url}/Patient`)).status).toBe(503);
    expect((await call(`${server.url}/Patient`)).status).toBe(200);
  });

  it('`only` targets methods and resource types', async () => {
    server.faults.set({ status503: { count: 5 }, only: { methods: ['post'], resourceTypes: ['Observation'] } });
    expect((await post(patient('P'))).status).toBe(201);
    expect((await call(`${server.url}/Observation`)).status).toBe(200);
    const obs = await call(`${server.url}/Observation`, {
      method: 'POST',
      body: { resourceType: 'Observation', status: 'final', code: { text: 'x' } },
    });
    expect(obs.status).toBe(503);
    expect(server.faults.get().status503?.count).toBe(4);
  });
});

describe('dropped connections', () => {
  it('destroys the socket without a response: fetch throws, nothing is stored, next request works', async () => {
    server.faults.set({ drop: { count: 1 } });
    await expect(post(patient('Dropped'))).rejects.toThrow();
    expect(await server.count('Patient')).toBe(0);
    expect((await post(patient('Dropped'))).status).toBe(201);
    const stats = server.stats();
    expect(stats.faultsFired.drop).toBe(1);
    expect(stats.requests.byStatus.dropped).toBe(1);
  });

  it('a GET is dropped too', async () => {
    server.faults.set({ drop: { count: 1 } });
    await expect(call(`${server.url}/Patient`)).rejects.toThrow();
    expect((await call(`${server.url}/Patient`)).status).toBe(200);
  });

  it('afterProcessing: the write is stored but the answer lost; a conditional retry does not duplicate', async () => {
    const body: Patient = { ...patient('Retry'), identifier: [{ system: 'urn:mrn', value: 'R-1' }] };
    const headers = { 'if-none-exist': 'identifier=urn:mrn|R-1' };
    server.faults.set({ drop: { count: 1, afterProcessing: true } });
    await expect(post(body, headers)).rejects.toThrow();
    expect(await server.count('Patient')).toBe(1);
    const retry = await post(body, headers);
    expect(retry.status).toBe(200);
    expect(await server.count('Patient')).toBe(1);
  });
});

describe('latency', () => {
  it('adds latencyMs to every FHIR request but not to admin calls', async () => {
    const t0 = performance.now();
    await call(`${server.url}/Patient`);
    const baseline = performance.now() - t0;
    server.faults.set({ latencyMs: 250 });
    const t1 = performance.now();
    const res = await call(`${server.url}/Patient`);
    const slow = performance.now() - t1;
    expect(res.status).toBe(200);
    expect(slow).toBeGreaterThanOrEqual(240);
    expect(slow - baseline).toBeGreaterThanOrEqual(200);
    const t2 = performance.now();
    await getStats(server.adminUrl);
    expect(performance.now() - t2).toBeLessThan(200);
  });
});

describe('dropWritesRatio', () => {
  it('ratio 1: create answers 201 with an id, but nothing is stored', async () => {
    server.faults.set({ dropWritesRatio: 1 });
    const res = await post(patient('Ghost'));
    expect(res.status).toBe(201);
    expect(res.body.id).toBeTruthy();
    expect(res.body.meta?.versionId).toBe('1');
    expect(res.headers.get('location')).toContain(`/Patient/${res.body.id}`);
    expect(await server.count('Patient')).toBe(0);
    expect((await call(`${server.url}/Patient/${res.body.id}`)).status).toBe(404);
    const stats = server.stats();
    expect(stats.faultsFired.dropWrite).toBe(1);
    expect(stats.droppedWrites).toEqual([{ resourceType: 'Patient', id: res.body.id, versionId: '1' }]);
  });

  it('ratio 1: update answers 200 with the next version, but the stored resource is unchanged', async () => {
    const created = (await post(patient('Keep'))).body;
    server.faults.set({ dropWritesRatio: 1 });
    const res = await call<Patient>(`${server.url}/Patient/${created.id}`, {
      method: 'PUT',
      body: { ...created, gender: 'male' },
      headers: { 'if-match': 'W/"1"' },
    });
    expect(res.status).toBe(200);
    expect(res.body.meta?.versionId).toBe('2');
    expect(res.body.gender).toBe('male');
    // preconditions are still checked
    const stale = await call(`${server.url}/Patient/${created.id}`, {
      method: 'PUT',
      body: { ...created, gender: 'male' },
      headers: { 'if-match': 'W/"5"' },
    });
    expect(stale.status).toBe(412);
    server.faults.clear();
    const stored = await call<Patient>(`${server.url}/Patient/${created.id}`);
    expect(stored.body.gender).toBeUndefined();
    expect(stored.body.meta?.versionId).toBe('1');
  });

  it('reads are never dropped, and a matching conditional create still answers the existing resource', async () => {
    const headers = { 'if-none-exist': 'identifier=urn:mrn|C-1' };
    const body: Patient = { ...patient('Cond'), identifier: [{ system: 'urn:mrn', value: 'C-1' }] };
    const created = (await post(body, headers)).body;
    server.faults.set({ dropWritesRatio: 1 });
    const again = await post(body, headers);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.id);
    expect((await call(`${server.url}/Patient/${created.id}`)).status).toBe(200);
    expect(server.stats().faultsFired.dropWrite).toBe(0);
  });

  it('a fractional ratio is deterministic for a given seed', async () => {
    const run = async (): Promise<boolean[]> => {
      server.reset();
      server.faults.set({ dropWritesRatio: 0.5, dropWritesSeed: 42 });
      const kept: boolean[] = [];
      for (let i = 0; i < 20; i++) {
        const id = (await post(patient(`R${i}`))).body.id;
        kept.push((await call(`${server.url}/Patient/${id}`)).status === 200);
      }
      return kept;
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    const expected = Array.from({ length: 20 }, (_, n) => !(unitHash(42, n) < 0.5));
    expect(first).toEqual(expected);
    const dropped = first.filter((k) => !k).length;
    expect(dropped).toBeGreaterThan(3);
    expect(dropped).toBeLessThan(17);
    expect(await server.count('Patient')).toBe(20 - dropped);
  });
});

describe('admin HTTP API (not under the FHIR base)', () => {
  it('sets, reads and clears faults; reports stats and counts', async () => {
    expect(server.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\$admin$/);
    expect(server.adminUrl.startsWith(server.url)).toBe(false);

    const set = await setFaults(server.adminUrl, { status503: { count: 1 }, latencyMs: 0 });
    expect(set.status503?.count).toBe(1);
    expect((await call(`${server.url}/Patient`)).status).toBe(503);
    const current = (await (await fetch(`${server.adminUrl}/faults`)).json()) as FaultConfig;
    expect(current.status503?.count).toBe(0);

    await setFaults(server.adminUrl, { status429: { count: 5, retryAfter: '3' } });
    expect((await call(`${server.url}/Patient`)).status).toBe(429);
    // admin calls are never faulted
    expect(await adminCount(server.adminUrl, 'Patient')).toBe(0);
    await clearFaults(server.adminUrl);
    expect((await post(patient('Counted'))).status).toBe(201);
    expect(await adminCount(server.adminUrl, 'Patient')).toBe(1);

    const stats = await getStats(server.adminUrl);
    expect(stats.requests.total).toBe(3);
    expect(stats.requests.byMethod).toEqual({ GET: 2, POST: 1 });
    expect(stats.requests.byStatus).toEqual({ '503': 1, '429': 1, '201': 1 });
    expect(stats.faultsFired.status503).toBe(1);
    expect(stats.faultsFired.status429).toBe(1);

    const resetStats = (await (await fetch(`${server.adminUrl}/stats`, { method: 'DELETE' })).json()) as ServerStats;
    expect(resetStats.requests.total).toBe(0);
  });

  it('rejects invalid fault configs with 400', async () => {
    for (const bad of [{ dropWritesRatio: 2 }, { status429: { count: -1 } }, { bogus: 1 }, [1]]) {
      const res = await fetch(`${server.adminUrl}/faults`, { method: 'POST', body: JSON.stringify(bad) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error?: string }).error).toBeTruthy();
    }
    expect((await fetch(`${server.adminUrl}/faults`, { method: 'POST', body: '{oops' })).status).toBe(400);
    expect(() => server.faults.set({ latencyMs: -5 })).toThrow(/latencyMs/);
  });

  it('POST /$admin/reset clears data, faults and stats', async () => {
    await post(patient('X'));
    server.faults.set({ status503: { count: 9 } });
    const res = await fetch(`${server.adminUrl}/reset`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await server.count('Patient')).toBe(0);
    expect(server.faults.get()).toEqual({});
    expect(server.stats().requests.total).toBe(0);
    expect((await fetch(`${server.adminUrl}/nope`)).status).toBe(404);
  });
});
