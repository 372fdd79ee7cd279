/**
 * The api refuses every route without a token (401) and with a token lacking
 * the route's roles (403), and takes bad input with a 4xx, never a 500: the
 * JSON error shape on /v1, an OperationOutcome on /fhir. The api runs as its
 * own process against the real stack; the test is the token issuer (JWKS file).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '@cr/auth';
import { createTestIssuer, type TestIssuer } from '@cr/auth/testing';
import { provision } from '../../../scripts/provision.ts';
import type { ApiDeps } from '../../../services/api/src/deps.ts';
import { routeTable } from '../../../services/api/src/router.ts';
import { allRoutes } from '../../../services/api/src/routes/index.ts';
import { newRun } from './env.ts';
import { ServiceProcess, freePort } from './processes.ts';

const testRun = newRun('apiauth');
let issuer: TestIssuer;
let apiPort = 0;
let api: ServiceProcess;
let projection: ServiceProcess; // creates the read model the api reads
// Only the table is read: method, path and roles of every route (handlers never run here).
const ROUTES = routeTable(allRoutes({} as ApiDeps));
const SAMPLE: Record<string, string> = { type: 'Patient', id: 'ent-auth-test', taskId: 'task-auth-test' };

const url = (path: string): string => `http://127.0.0.1:${apiPort}${path.replace(/:(\w+)/g, (_, n: string) => SAMPLE[n] ?? 'x')}`;

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url(path), { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try { json = text ? JSON.parse(text) as Record<string, unknown> : {}; } catch { json = { raw: text }; }
  return { status: res.status, json };
}

const bodyFor = (method: string): string | undefined => (method === 'POST' || method === 'PUT' ? '{}' : undefined);
const isFhir = (path: string): boolean => path.startsWith('/fhir/');

beforeAll(async () => {
  await provision(testRun.env);
  issuer = await createTestIssuer();
  apiPort = await freePort();
  api = new ServiceProcess('api', ['services/api/src/main.ts'], { ...testRun.env, API_PORT: String(apiPort), API_JWKS_FILE: `${testRun.logDir}/jwks.json` }, testRun.logDir);
  await issuer.writeJwks(`${testRun.logDir}/jwks.json`);
  projection = new ServiceProcess('projection', ['services/projection/src/main.ts'], testRun.env, testRun.logDir);
  await Promise.all([api.start(), projection.start()]);
  await Promise.all([api.ready(), projection.ready()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([api?.kill('SIGTERM'), projection?.kill('SIGTERM')]);
  if (!process.env.KEEP_TEST_DATA) await testRun.cleanup();
});

describe('every route checks its roles', () => {
  it('covers the whole route table', () => {
    expect(ROUTES.length).toBeGreaterThanOrEqual(15);
    for (const r of ROUTES) expect(r.roles.length, `${r.method} ${r.path}`).toBeGreaterThan(0);
  });

  it('refuses a missing, malformed, foreign or expired token with 401', async () => {
    const foreign = await createTestIssuer();
    const bad: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nonsense' },
      { authorization: `Bearer ${await foreign.token({ roles: ['admin'] })}` },
      { authorization: `Bearer ${await issuer.token({ roles: ['admin'], expiresIn: '-10m' })}` },
    ];
    for (const r of ROUTES) {
      for (const headers of bad) {
        const res = await call(r.method, r.path, headers, bodyFor(r.method));
        expect(res.status, `${r.method} ${r.path}`).toBe(401);
        if (isFhir(r.path)) expect(res.json.resourceType, r.path).toBe('OperationOutcome');
        else expect(res.json, r.path).toMatchObject({ error: { code: 'unauthenticated' } });
      }
    }
  });

  it('refuses every role the route does not allow with 403, and lets the ones it allows through', async () => {
    const headers = Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await issuer.headers([role], `${role}-user`)] as const))) as Record<Role, Record<string, string>>;
    const none = await issuer.headers([], 'no-roles');
    let refused = 0;
    for (const r of ROUTES) {
      const res = await call(r.method, r.path, none, bodyFor(r.method));
      expect(res.status, `${r.method} ${r.path} without roles`).toBe(403);
      for (const role of ROLES) {
        const out = await call(r.method, r.path, headers[role], bodyFor(r.method));
        if (r.roles.includes(role)) {
          expect([401, 403], `${r.method} ${r.path} as ${role}`).not.toContain(out.status);
          expect(out.status, `${r.method} ${r.path} as ${role}`).toBeLessThan(500);
        } else {
          expect(out.status, `${r.method} ${r.path} as ${role}`).toBe(403);
          if (!isFhir(r.path)) expect(out.json).toMatchObject({ error: { code: 'forbidden' } });
          refused++;
        }
      }
    }
    expect(refused).toBe(ROUTES.reduce((n, r) => n + ROLES.filter((role) => !r.roles.includes(role)).length, 0));
    expect(refused).toBeGreaterThan(10); // the table really restricts
  });
});

describe('bad input is a 4xx, never a 500', () => {
  const cases: { method: string; path: string; body?: string; role: Role; status: number }[] = [
    { method: 'POST', path: '/v1/world/events', body: 'not json', role: 'agent', status: 400 },
    { method: 'POST', path: '/v1/world/events', body: JSON.stringify({ requestId: 'r1', entityType: 'Patient', entityId: 'ent-x', origin: 'voice', attributes: { phone: '+15558675309' }, shoeSize: 9 }), role: 'agent', status: 400 },
    { method: 'POST', path: '/v1/world/events', body: JSON.stringify({ requestId: 'r2', entityType: 'Patient', entityId: 'ent-x', origin: 'voice', confidence: 0.9, attributes: { phone: '+1' } }), role: 'agent', status: 400 },
    { method: 'POST', path: '/v1/world/events', body: JSON.stringify({ requestId: 'r3', entityType: 'Patient', identifiers: [{ system: 's', value: 'v' }], origin: 'agent', confidence: 0.95, attributes: { x: 1 } }), role: 'agent', status: 400 },
    { method: 'POST', path: '/v1/world/events', body: JSON.stringify({ requestId: 'r4', entityType: 'Patient', identifiers: [{ system: 's', value: 'v' }], origin: 'operator', attributes: { x: 1 } }), role: 'agent', status: 403 },
    { method: 'POST', path: '/v1/world/events', body: JSON.stringify({ requestId: 'r5', entityType: 'Patient', entityId: 'ent-missing', origin: 'voice', attributes: { x: 1 } }), role: 'agent', status: 404 },
    { method: 'GET', path: '/v1/entities?limit=100000&type=Patient', role: 'readonly', status: 400 },
    { method: 'GET', path: '/v1/entities?colour=blue', role: 'readonly', status: 400 },
    { method: 'GET', path: '/v1/entities', role: 'readonly', status: 400 },
    { method: 'GET', path: '/v1/entities/patient/ent-x', role: 'readonly', status: 400 },
    { method: 'GET', path: '/v1/entities/Patient/%E0%A4%A', role: 'readonly', status: 400 },
    { method: 'GET', path: '/v1/review/tasks?minAgeSeconds=-1', role: 'operator', status: 400 },
    { method: 'POST', path: '/v1/review/tasks/t-1/decision', body: JSON.stringify({ decision: 'maybe' }), role: 'operator', status: 400 },
    { method: 'POST', path: '/v1/review/tasks/t-1/decision', body: JSON.stringify({ decision: 'approve' }), role: 'operator', status: 404 },
    { method: 'PUT', path: '/v1/data-sources/ehr-z', body: JSON.stringify({ name: 'Z', type: 'fhir_store', config: { baseUrl: 'not a url', resources: [] } }), role: 'admin', status: 400 },
    { method: 'PUT', path: '/v1/data-sources/Bad_Id', body: JSON.stringify({ name: 'Z' }), role: 'admin', status: 400 },
    { method: 'POST', path: '/fhir/R4/Patient', body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'X' }], shoeSize: 9 }), role: 'operator', status: 400 },
    { method: 'POST', path: '/fhir/R4/Patient', body: JSON.stringify({ resourceType: 'Observation' }), role: 'operator', status: 400 },
    { method: 'POST', path: '/fhir/R4', body: JSON.stringify({ resourceType: 'Bundle', type: 'history', entry: [] }), role: 'operator', status: 400 },
    { method: 'POST', path: '/fhir/R4', body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'GET', url: 'Patient/x' } }] }), role: 'operator', status: 400 },
    { method: 'GET', path: '/fhir/R4/Observation/x', role: 'readonly', status: 404 },
    { method: 'GET', path: '/fhir/R4/Patient?birthdate=', role: 'readonly', status: 400 },
    { method: 'PATCH', path: '/v1/entities/Patient/x', role: 'admin', status: 405 },
    { method: 'GET', path: '/v1/nothing-here', role: 'admin', status: 404 },
  ];

  it('answers each bad request with its 4xx in the route family\'s error shape', async () => {
    for (const c of cases) {
      const res = await fetch(`http://127.0.0.1:${apiPort}${c.path}`, { method: c.method, headers: { ...(await issuer.headers([c.role])), 'content-type': 'application/json' }, ...(c.body === undefined ? {} : { body: c.body }) });
      const json = await res.json() as Record<string, unknown>;
      expect(res.status, `${c.method} ${c.path} ${c.body ?? ''}`).toBe(c.status);
      if (isFhir(c.path)) expect(json.resourceType, c.path).toBe('OperationOutcome');
      else expect(json, c.path).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
    expect((await api.metrics()).length).toBeGreaterThan(0);
  });
});
