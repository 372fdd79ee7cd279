import type { Bundle, CapabilityStatement, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makePatients, searchAll, seedPatients } from './client.ts';
import { createFhirServer } from './server.ts';
import type { FhirServer } from './server.ts';
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

const patient = (family: string, extra: Partial<Patient> = {}): Patient => ({
  resourceType: 'Patient',
  name: [{ family, given: ['Ann'] }],
  ...extra,
});

async function create(p: Patient, headers: Record<string, string> = {}): Promise<Patient> {
  const res = await call<Patient>(`${server.url}/Patient`, { method: 'POST', body: p, headers });
  expect(res.status).toBe(201);
  return res.body;
}

describe('base URL and content type', () => {
  it('serves FHIR under /fhir/R4 on loopback with application/fhir+json', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir\/R4$/);
    const res = await call<CapabilityStatement>(`${server.url}/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(res.body.fhirVersion).toBe('4.0.1');
    expect(res.body.rest?.[0]?.resource?.some((r) => r.type === 'Patient')).toBe(true);
  });

  it('answers unknown paths and ids with OperationOutcome 404', async () => {
    const missing = await call<OperationOutcome>(`${server.url}/Patient/does-not-exist`);
    expect(missing.status).toBe(404);
    expect(missing.body.resourceType).toBe('OperationOutcome');
    expect(missing.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const badType = await call<OperationOutcome>(`${server.url}/Patientx`);
    expect(badType.status).toBe(404);
    expect(badType.body.resourceType).toBe('OperationOutcome');
  });
});

describe('create, read, vread', () => {
  it('creates with server-assigned id, versionId 1 and lastUpdated; read and vread return it', async () => {
    const before = Date.now();
    const res = await call<Patient>(`${server.url}/Patient`, {
      method: 'POST',
      body: patient('Smith', { id: 'client-chosen', birthDate: '1980-02-03' }),
    });
    expect(res.status).toBe(201);
    const created = res.body;
    expect(created.id).toBeTruthy();
    expect(created.id).not.toBe('client-chosen'); // FHIR create ignores a client id
    expect(created.meta?.versionId).toBe('1');
    expect(Date.parse(created.meta?.lastUpdated ?? '')).toBeGreaterThanOrEqual(before - 5);
    expect(res.headers.get('etag')).toBe('W/"1"');
    expect(res.headers.get('location')).toBe(`${server.url}/Patient/${created.id}/_history/1`);

    const read = await call<Patient>(`${server.url}/Patient/${created.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created);
    expect(read.headers.get('etag')).toBe('W/"1"');

    const vread = await call<Patient>(`${server.url}/Patient/${created.id}/_history/1`);
    expect(vread.status).toBe(200);
    expect(vread.body.name?.[0]?.family).toBe('Smith');

    const noVersion = await call<OperationOutcome>(`${server.url}/Patient/${created.id}/_history/9`);
    expect(noVersion.status).toBe(404);
  });

  it('rejects invalid resources and bodies with 400 OperationOutcome', async () => {
    const invalid = await call<OperationOutcome>(`${server.url}/Patient`, {
      method: 'POST',
      body: { resourceType: 'Patient', birthDate: 'yesterday' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.resourceType).toBe('OperationOutcome');
    const wrongType = await call<OperationOutcome>(`${server.url}/Patient`, {
      method: 'POST',
      body: { resourceType: 'Observation', status: 'final', code: { text: 'x' } },
    });
    expect(wrongType.status).toBe(400);
    const notJson = await call<OperationOutcome>(`${server.url}/Patient`, { method: 'POST', body: '{nope' });
    expect(notJson.status).toBe(400);
    expect(await server.count('Patient')).toBe(0);
  });
});

describe('update with versioning and If-Match', () => {
  it('412 on a stale If-Match, 200 and versionId+1 on the current one', async () => {
    const created = await create(patient('Jones'));
    const url = `${server.url}/Patient/${created.id}`;

    const stale = await call<OperationOutcome>(url, {
      method: 'PUT',
      body: { ...created, gender: 'female' },
      headers: { 'if-match': 'W/"7"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe('OperationOutcome');
    expect((await call<Patient>(url)).body.gender).toBeUndefined();

    const ok = await call<Patient>(url, {
      method: 'PUT',
      body: { ...created, gender: 'female' },
      headers: { 'if-match': 'W/"1"' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.meta?.versionId).toBe('2');
    expect(ok.headers.get('etag')).toBe('W/"2"');
    expect((ok.body.meta?.lastUpdated ?? '') > (created.meta?.lastUpdated ?? '')).toBe(true);

    // the version the client held is now stale too
    const again = await call(url, { method: 'PUT', body: { ...created, gender: 'male' }, headers: { 'if-match': 'W/"1"' } });
    expect(again.status).toBe(412);

    // without If-Match the update is unconditional
    const blind = await call<Patient>(url, { method: 'PUT', body: { ...created, gender: 'male' } });
    expect(blind.status).toBe(200);
    expect(blind.body.meta?.versionId).toBe('3');
    expect((await call<Patient>(`${url}/_history/2`)).body.gender).toBe('female');
  });

  it('PUT to a new id creates it (201), and a mismatched body id is rejected', async () => {
    const res = await call<Patient>(`${server.url}/Patient/chosen-id`, {
      method: 'PUT',
      body: patient('Put', { id: 'chosen-id' }),
    });
    expect(res.status).toBe(201);
    expect(res.body.id).toBe('chosen-id');
    expect(res.body.meta?.versionId).toBe('1');
    const mismatch = await call(`${server.url}/Patient/chosen-id`, { method: 'PUT', body: patient('Put', { id: 'other' }) });
    expect(mismatch.status).toBe(400);
  });
});

describe('conditional create (If-None-Exist)', () => {
  it('a retried create does not duplicate', async () => {
    const body = patient('Idem', { identifier: [{ system: 'urn:mrn', value: 'M-1' }] });
    const headers = { 'if-none-exist': 'identifier=urn:mrn|M-1' };
    const first = await call<Patient>(`${server.url}/Patient`, { method: 'POST', body, headers });
    expect(first.status).toBe(201);
    const second = await call<Patient>(`${server.url}/Patient`, { method: 'POST', body, headers });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.meta?.versionId).toBe('1');
    expect(await server.count('Patient')).toBe(1);

    // another identifier creates another resource
    const other = await call<Patient>(`${server.url}/Patient`, {
      method: 'POST',
      body: patient('Idem', { identifier: [{ system: 'urn:mrn', value: 'M-2' }] }),
      headers: { 'if-none-exist': 'identifier=urn:mrn|M-2' },
    });
    expect(other.status).toBe(201);
    expect(await server.count('Patient')).toBe(2);
  });

  it('overlapping identical conditional creates yield one resource', async () => {
    const body = patient('Race', { identifier: [{ system: 'urn:mrn', value: 'RACE' }] });
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        call<Patient>(`${server.url}/Patient`, { method: 'POST', body, headers: { 'if-none-exist': 'identifier=urn:mrn|RACE' } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await server.count('Patient')).toBe(1);
  });
});

describe('Prefer and batch', () => {
  it('Prefer: return=minimal answers 201 with Location and ETag but no body', async () => {
    const res = await fetch(`${server.url}/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
      body: JSON.stringify(patient('Minimal')),
    });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('');
    expect(res.headers.get('location')).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
    expect(res.headers.get('etag')).toBe('W/"1"');
  });

  it('a transaction Bundle creates every entry and resolves urn:uuid references', async () => {
    const res = await call<Bundle>(server.url, {
      method: 'POST',
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:6a1f7ea4-54d6-4ec8-9a27-1a2a0a3a9d11', resource: patient('Tx'), request: { method: 'POST', url: 'Patient' } },
          {
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'hr' },
              subject: { reference: 'urn:uuid:6a1f7ea4-54d6-4ec8-9a27-1a2a0a3a9d11' },
            },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    const [p, o] = (res.body.entry ?? []).map((e) => e.resource);
    expect(o?.resourceType === 'Observation' && o.subject?.reference).toBe(`Patient/${p?.id}`);
    expect(await server.count('Observation')).toBe(1);
  });
});

describe('delete', () => {
  it('deletes; reads answer 410 Gone; deleting again is a no-op; count drops', async () => {
    const created = await create(patient('Gone'));
    expect(await server.count('Patient')).toBe(1);
    const del = await call(`${server.url}/Patient/${created.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await call(`${server.url}/Patient/${created.id}`)).status).toBe(410);
    expect((await call(`${server.url}/Patient/${created.id}`, { method: 'DELETE' })).status).toBe(200);
    expect(await server.count('Patient')).toBe(0);
  });
});

describe('search', () => {
  it('_lastUpdated gt/ge return only newer resources', async () => {
    const old = await create(patient('Old'));
    const newer = await create(patient('New'));
    const cut = old.meta?.lastUpdated ?? '';
    const gt = await call<Bundle<Patient>>(`${server.url}/Patient?_lastUpdated=gt${encodeURIComponent(cut)}`);
    expect(gt.status).toBe(200);
    expect(gt.body.type).toBe('searchset');
    expect(gt.body.entry?.map((e) => e.resource?.id)).toEqual([newer.id]);
    const ge = await call<Bundle<Patient>>(`${server.url}/Patient?_lastUpdated=ge${encodeURIComponent(cut)}`);
    expect(ge.body.entry?.map((e) => e.resource?.id).sort()).toEqual([old.id, newer.id].sort());
    const future = new Date(Date.now() + 60_000).toISOString();
    const none = await call<Bundle<Patient>>(`${server.url}/Patient?_lastUpdated=gt${encodeURIComponent(future)}`);
    expect(none.body.total).toBe(0);
    expect(none.body.entry ?? []).toEqual([]);
  });

  it('an update moves a resource past the _lastUpdated cut', async () => {
    const a = await create(patient('A'));
    const b = await create(patient('B'));
    const cut = b.meta?.lastUpdated ?? '';
    await call(`${server.url}/Patient/${a.id}`, { method: 'PUT', body: { ...a, gender: 'other' } });
    const res = await call<Bundle<Patient>>(`${server.url}/Patient?_lastUpdated=gt${encodeURIComponent(cut)}`);
    expect(res.body.entry?.map((e) => e.resource?.id)).toEqual([a.id]);
  });

  it('identifier, name, birthdate and _count', async () => {
    await seedPatients(server.url, [
      patient('Alpha', { identifier: [{ system: 'urn:mrn', value: 'A1' }], birthDate: '1970-05-01' }),
      patient('Beta', { identifier: [{ system: 'urn:mrn', value: 'B1' }], birthDate: '1990-05-01' }),
      patient('Gamma', { identifier: [{ system: 'urn:other', value: 'A1' }], birthDate: '2001-12-31' }),
    ]);
    const ids = async (q: string): Promise<string[]> =>
      ((await call<Bundle<Patient>>(`${server.url}/Patient?${q}`)).body.entry ?? [])
        .map((e) => e.resource?.name?.[0]?.family ?? '')
        .sort();
    expect(await ids('identifier=urn:mrn|A1')).toEqual(['Alpha']);
    expect(await ids('identifier=A1')).toEqual(['Alpha', 'Gamma']);
    expect(await ids('name=beta')).toEqual(['Beta']);
    expect(await ids('family=Gam')).toEqual(['Gamma']);
    expect(await ids('birthdate=1990-05-01')).toEqual(['Beta']);
    expect(await ids('birthdate=ge1990-01-01')).toEqual(['Beta', 'Gamma']);
    expect(await ids('birthdate=lt1980')).toEqual(['Alpha']);
    const counted = await call<Bundle>(`${server.url}/Patient?_count=2`);
    expect(counted.body.entry).toHaveLength(2);
    expect(counted.body.total).toBe(3);
    const summary = await call<Bundle>(`${server.url}/Patient?_summary=count`);
    expect(summary.body.total).toBe(3);
    expect(summary.body.entry).toBeUndefined();
  });

  it('rejects unknown search parameters and malformed values with 400', async () => {
    const unknown = await call<OperationOutcome>(`${server.url}/Patient?nosuchparam=1`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.resourceType).toBe('OperationOutcome');
    expect((await call(`${server.url}/Patient?birthdate=notadate`)).status).toBe(400);
    expect((await call(`${server.url}/Patient?_count=ten`)).status).toBe(400);
  });

  it('pages 25 patients by 10 via absolute next links: every id exactly once', async () => {
    const seeded = await seedPatients(server.url, makePatients(25));
    expect(seeded).toHaveLength(25);
    const seen: string[] = [];
    let next: string | undefined = `${server.url}/Patient?_count=10`;
    const pageSizes: number[] = [];
    while (next) {
      expect(next.startsWith(`${server.url}/Patient?`)).toBe(true);
      const page: Awaited<ReturnType<typeof call<Bundle<Patient>>>> = await call<Bundle<Patient>>(next);
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(25);
      pageSizes.push(page.body.entry?.length ?? 0);
      for (const e of page.body.entry ?? []) {
        seen.push(e.resource?.id ?? '');
        expect(e.fullUrl).toBe(`${server.url}/Patient/${e.resource?.id}`);
      }
      expect(page.body.link?.find((l) => l.relation === 'self')?.url).toMatch(/^http:\/\//);
      next = page.body.link?.find((l) => l.relation === 'next')?.url;
    }
    expect(pageSizes).toEqual([10, 10, 5]);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(new Set(seen)).toEqual(new Set(seeded.map((p) => p.id)));
  });

  it('next links keep the search filters and default to 20 per page', async () => {
    await seedPatients(server.url, makePatients(30));
    await seedPatients(server.url, makePatients(5, { system: 'urn:other' }));
    const first = await call<Bundle<Patient>>(`${server.url}/Patient?identifier=urn:test:mrn|`);
    expect(first.body.entry).toHaveLength(20);
    expect(first.body.total).toBe(30);
    const all = await searchAll<Patient>(`${server.url}/Patient?identifier=urn:test:mrn|&_count=7`);
    expect(all).toHaveLength(30);
    expect(all.every((p) => p.identifier?.[0]?.system === 'urn:test:mrn')).toBe(true);
    const last = await call<Bundle>(`${server.url}/Patient?_count=7&_offset=28&identifier=urn:test:mrn|`);
    expect(last.body.entry).toHaveLength(2);
    expect(last.body.link?.find((l) => l.relation === 'next')).toBeUndefined();
    expect(last.body.link?.find((l) => l.relation === 'previous')?.url).toContain('_offset=21');
  });

  it('POST _search with a form body', async () => {
    await seedPatients(server.url, makePatients(3));
    const res = await call<Bundle<Patient>>(`${server.url}/Patient/_search`, {
      method: 'POST',
      body: 'identifier=urn:test:mrn|MRN-1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    expect(res.body.entry?.map((e) => e.resource?.identifier?.[0]?.value)).toEqual(['MRN-1']);
  });
});

describe('lifecycle', () => {
  it('close() returns promptly while a slow (latency-faulted) request is in flight', async () => {
    const other = await createFhirServer();
    other.faults.set({ latencyMs: 30_000 });
    const pending = fetch(`${other.url}/Patient`).then(
      (r) => r.status,
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await other.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await pending).toBe('failed');
  });
});

describe('_history', () => {
  it('instance history lists all versions newest first, stable across calls', async () => {
    const created = await create(patient('Hist'));
    const url = `${server.url}/Patient/${created.id}`;
    const v2 = (await call<Patient>(url, { method: 'PUT', body: { ...created, gender: 'male' } })).body;
    await call<Patient>(url, { method: 'PUT', body: { ...v2, gender: 'female' } });
    for (let i = 0; i < 2; i++) {
      const history = await call<Bundle<Patient>>(`${url}/_history`);
      expect(history.status).toBe(200);
      expect(history.body.type).toBe('history');
      expect(history.body.total).toBe(3);
      expect(history.body.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['3', '2', '1']);
      expect(history.body.entry?.map((e) => e.request?.method)).toEqual(['PUT', 'PUT', 'POST']);
    }
  });

  it('type-level history lists creates, updates and deletes of that type, with _since and paging', async () => {
    const a = await create(patient('A'));
    const b = await create(patient('B'));
    await call(`${server.url}/Observation`, {
      method: 'POST',
      body: { resourceType: 'Observation', status: 'final', code: { text: 'hr' } },
    });
    await call(`${server.url}/Patient/${a.id}`, { method: 'PUT', body: { ...a, gender: 'male' } });
    await call(`${server.url}/Patient/${b.id}`, { method: 'DELETE' });

    const history = await call<Bundle<Patient>>(`${server.url}/Patient/_history`);
    expect(history.status).toBe(200);
    expect(history.body.type).toBe('history');
    expect(history.body.total).toBe(4);
    expect(history.body.entry?.map((e) => [e.request?.method, e.resource?.id ?? e.fullUrl?.split('/').pop()])).toEqual([
      ['DELETE', b.id],
      ['PUT', a.id],
      ['POST', b.id],
      ['POST', a.id],
    ]);

    const since = await call<Bundle>(`${server.url}/Patient/_history?_since=${encodeURIComponent(b.meta?.lastUpdated ?? '')}`);
    expect(since.body.total).toBe(3);

    const paged = await searchAll(`${server.url}/Patient/_history?_count=3`);
    expect(paged).toHaveLength(3); // the delete entry has no resource
    const system = await call<Bundle>(`${server.url}/_history`);
    expect(system.body.total).toBe(5);
  });
});
