/** Small fetch-based helpers for tests that drive a (possibly out-of-process) test FHIR server. */
import type { Bundle, BundleEntry, Patient, Resource } from '@medplum/fhirtypes';
import type { FaultConfig } from './faults.ts';
import type { ServerStats } from './server.ts';

const FHIR_JSON = 'application/fhir+json';

async function expectJson<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${what} failed: HTTP ${response.status} ${text}`);
  }
  return JSON.parse(text) as T;
}

/** POSTs a batch/transaction Bundle to the FHIR base; returns the response Bundle. */
export async function loadBundle(baseUrl: string, bundle: Bundle): Promise<Bundle> {
  const response = await fetch(baseUrl, {
    method: 'POST',
    headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON },
    body: JSON.stringify(bundle),
  });
  return expectJson<Bundle>(response, 'loadBundle');
}

/** Deterministic sample patients: ids are not set, identifier `${system}|${prefix}${i}`. */
export function makePatients(
  n: number,
  options: { system?: string; prefix?: string; start?: number } = {},
): Patient[] {
  const system = options.system ?? 'urn:test:mrn';
  const prefix = options.prefix ?? 'MRN-';
  const start = options.start ?? 0;
  return Array.from({ length: n }, (_, k): Patient => {
    const i = start + k;
    const day = String((i % 28) + 1).padStart(2, '0');
    const month = String((i % 12) + 1).padStart(2, '0');
    return {
      resourceType: 'Patient',
      identifier: [{ system, value: `${prefix}${i}` }],
      name: [{ family: `Family${i}`, given: [`Given${i}`] }],
      gender: i % 2 === 0 ? 'female' : 'male',
      birthDate: `${1950 + (i % 50)}-${month}-${day}`,
    };
  });
}

/** Creates the patients in one transaction; returns them as stored (with id and meta). */
export async function seedPatients(baseUrl: string, patients: Patient[] | number): Promise<Patient[]> {
  const list = typeof patients === 'number' ? makePatients(patients) : patients;
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: list.map((resource): BundleEntry => ({ resource, request: { method: 'POST', url: 'Patient' } })),
  };
  const result = await loadBundle(baseUrl, bundle);
  return (result.entry ?? []).map((e, i) => {
    const status = e.response?.status ?? '';
    if (!status.startsWith('2') || !e.resource) {
      throw new Error(`seedPatients: entry ${i} failed: ${status} ${JSON.stringify(e.response?.outcome ?? {})}`);
    }
    return e.resource as Patient;
  });
}

/** GETs a search URL and follows `link[relation=next]` until the end; returns all entry resources. */
export async function searchAll<T extends Resource = Resource>(url: string, options: { maxPages?: number } = {}): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined = url;
  for (let page = 0; next; page++) {
    if (page >= (options.maxPages ?? 1000)) {
      throw new Error(`searchAll: more than ${options.maxPages ?? 1000} pages`);
    }
    const bundle: Bundle = await expectJson<Bundle>(await fetch(next, { headers: { accept: FHIR_JSON } }), 'search');
    for (const entry of bundle.entry ?? []) {
      if (entry.resource && entry.search?.mode !== 'include') {
        out.push(entry.resource as T);
      }
    }
    next = bundle.link?.find((l) => l.relation === 'next')?.url;
  }
  return out;
}

export async function setFaults(adminUrl: string, config: FaultConfig): Promise<FaultConfig> {
  const response = await fetch(`${adminUrl}/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
  return expectJson<FaultConfig>(response, 'setFaults');
}

export async function clearFaults(adminUrl: string): Promise<void> {
  await expectJson<unknown>(await fetch(`${adminUrl}/faults`, { method: 'DELETE' }), 'clearFaults');
}

export async function getStats(adminUrl: string): Promise<ServerStats> {
  return expectJson<ServerStats>(await fetch(`${adminUrl}/stats`), 'getStats');
}

/** Current resource count, read over the admin API (not subject to faults). */
export async function adminCount(adminUrl: string, resourceType: string): Promise<number> {
  const body = await expectJson<{ count: number }>(await fetch(`${adminUrl}/count/${resourceType}`), 'adminCount');
  return body.count;
}
