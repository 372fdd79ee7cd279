/**
 * smart_fhir against the test FHIR server behind a real SMART Backend Services
 * gateway: discovery, RS384 and ES384 assertions verified by a token endpoint
 * that refuses a reused jti, tokens renewed before they expire, scopes as
 * policy (a resource not granted is never requested and shows in source
 * health), and a private key that lives only in the secret store.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { createSecretStore, storePrivateKey } from '@cr/core';
import { createFhirServer, type FhirServer } from '@cr/fhir-test-server';
import { eventually, sleep } from '@cr/e2e';
import { createSmartGateway, type SmartGateway } from '@cr/test-peers';
import { startIngest, type IngestHarness } from './harness.ts';

let fhir: FhirServer;
let gateway: SmartGateway;
let h: IngestHarness;
let secretsDir: string;
const pems: string[] = [];
let rsKey: CryptoKey;

async function keyPair(alg: 'RS384' | 'ES384', kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, pem: await exportPKCS8(privateKey), jwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

beforeAll(async () => {
  fhir = await createFhirServer();
  for (let i = 0; i < 6; i++) {
    await fetch(`${fhir.url}/Patient`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: `Smart${i}` }] }) });
  }
  await fetch(`${fhir.url}/Observation`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'x' } }) });
  const rs = await keyPair('RS384', 'rs-1');
  const es = await keyPair('ES384', 'es-1');
  rsKey = rs.privateKey;
  pems.push(rs.pem, es.pem);
  gateway = await createSmartGateway({
    upstream: fhir.url, tokenTtlSec: 3,
    clients: [
      { clientId: 'runner-rs', jwks: [rs.jwk], allowedScopes: ['system/Patient.read'] },
      { clientId: 'runner-es', jwks: [es.jwk], allowedScopes: ['system/Patient.read'] },
    ],
  });
  secretsDir = await mkdtemp(join(tmpdir(), 'cr-secrets-'));
  const store = createSecretStore({ directory: secretsDir });
  // The set-up step: the key goes to the secret store, only its reference into the config.
  const rsRef = await storePrivateKey(store, 'smart-rs', rs.pem);
  const esRef = await storePrivateKey(store, 'smart-es', es.pem);
  h = await startIngest('ingsmart', { SECRETS_DIR: secretsDir });
  const resilience = { retry: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 200 }, unhealthyAfter: 2 };
  await h.configure('smart-rs', { type: 'smart_fhir', config: {
    baseUrl: gateway.fhirUrl, resources: [{ type: 'Patient', intervalMs: 500, pageSize: 4 }, { type: 'Observation', intervalMs: 500 }],
    auth: { clientId: 'runner-rs', privateKeyRef: rsRef, keyId: 'rs-1', algorithm: 'RS384', scopes: ['system/Patient.read', 'system/Observation.read'], renewBeforeMs: 1_000 },
    resilience,
  } });
  await h.configure('smart-es', { type: 'smart_fhir', config: {
    baseUrl: gateway.fhirUrl, resources: [{ type: 'Patient', intervalMs: 60_000 }],
    auth: { clientId: 'runner-es', privateKeyRef: esRef, keyId: 'es-1', algorithm: 'ES384', scopes: ['system/Patient.read'] }, resilience,
  } });
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await gateway?.close();
  await fhir?.close();
  await rm(secretsDir, { recursive: true, force: true });
});

describe('smart_fhir', () => {
  it('discovers the token endpoint, signs RS384 and ES384 assertions, and ingests every granted resource', async () => {
    const records = await h.eventuallyRaw('patients from both sources', (rs) => (rs.filter((r) => r.resourceType === 'Patient').length >= 12 ? rs : undefined));
    expect(records.filter((r) => r.dataSourceId === 'smart-rs' && r.resourceType === 'Patient')).toHaveLength(6);
    expect(records.filter((r) => r.dataSourceId === 'smart-es' && r.resourceType === 'Patient')).toHaveLength(6);
    expect(gateway.stats.refused).toEqual({});
  });

  it('never requests a resource whose scope was not granted, and says so in source health', async () => {
    const refusal = await eventually('refusal in health', async () => (await h.health('smart-rs')).find((x) => x.resourceType === 'Observation' && x.status === 'unhealthy'), 30_000, 1_000);
    expect(refusal).toMatchObject({ lastErrorClass: 'auth', lastError: 'scope not granted: system/Observation.read' });
    expect(gateway.stats.byResourceType.Observation).toBeUndefined();
    expect(gateway.stats.forbidden).toBe(0);
    expect((await h.rawRecords()).some((r) => r.resourceType === 'Observation')).toBe(false);
  });

  it('renews the token before it expires: many tokens, no request ever turned away', async () => {
    const issued = gateway.stats.issued;
    await sleep(5_000);
    expect(gateway.stats.issued).toBeGreaterThanOrEqual(issued + 2);
    expect(gateway.stats.unauthorized).toBe(0);
    expect(gateway.stats.refused.jti_reused).toBeUndefined();
  });

  it('the token endpoint refuses a reused jti, a wrong audience and a far expiry', async () => {
    const post = async (assertion: string) => (await fetch(gateway.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/Patient.read', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }) })).status;
    const sign = (o: { jti: string; aud?: string; expIn?: number }) => new SignJWT({}).setProtectedHeader({ alg: 'RS384', kid: 'rs-1' }).setIssuer('runner-rs').setSubject('runner-rs')
      .setAudience(o.aud ?? gateway.tokenUrl).setIssuedAt().setExpirationTime(Math.floor(Date.now() / 1000) + (o.expIn ?? 240)).setJti(o.jti).sign(rsKey);
    const once = await sign({ jti: randomUUID() });
    expect(await post(once)).toBe(200);
    expect(await post(once)).toBe(400);
    expect(await post(await sign({ jti: randomUUID(), aud: 'http://elsewhere.test/token' }))).toBe(401);
    expect(await post(await sign({ jti: randomUUID(), expIn: 3_600 }))).toBe(401);
    expect(gateway.stats.refused).toMatchObject({ jti_reused: 1, bad_claims: 1, exp_too_far: 1 });
  });

  it('keeps the private key off every topic and out of the logs', async () => {
    const config = await h.run.kafka.readAllRaw('connector.config.v1', { timeoutMs: 5_000 });
    const body = (pem: string) => pem.split('\n').slice(1, 3).join('');
    for (const pem of pems) {
      expect(config.some((c) => c.value?.toString('latin1').includes(body(pem)))).toBe(false);
      expect((await readFile(h.ingest.logPath, 'utf8')).includes(body(pem))).toBe(false);
    }
    expect(config.every((c) => !c.value?.toString('latin1').includes('PRIVATE KEY'))).toBe(true);
  });

  it('refuses a configuration whose key reference resolves to nothing, naming the field', async () => {
    await h.configure('smart-nokey', { type: 'smart_fhir', config: { baseUrl: gateway.fhirUrl, resources: [{ type: 'Patient' }],
      auth: { clientId: 'runner-rs', privateKeyRef: 'file:absent', keyId: 'rs-1', scopes: ['system/Patient.read'] } } });
    const dead = await eventually('refusal', async () => (await h.run.kafka.readAllRaw('ingest.dead-letter.v1', { timeoutMs: 5_000 })).find((d) => d.key?.toString() === 'smart-nokey'), 30_000, 1_000);
    expect(dead.headers['dlq.error.message']).toContain('config.auth.privateKeyRef');
  });
});
