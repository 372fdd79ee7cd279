/**
 * webhook against a real sender and a real FHIR server: HMAC signatures and the
 * replay window, FHIR Subscription notifications (id-only and full-resource)
 * that make the runner read the current resource, sender retries deduped by
 * content hash, and a 2xx only once the record is on Kafka.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretStore } from '@cr/core';
import { createFhirServer, type FhirServer } from '@cr/fhir-test-server';
import { eventually } from '@cr/e2e';
import { sendWebhook, subscriptionNotification } from '@cr/test-peers';
import { startIngest, type IngestHarness } from './harness.ts';

const SECRET = 'whsec-test-0123456789';
let h: IngestHarness;
let fhir: FhirServer;
let secretsDir: string;
let patientId = '';
let url = '';

async function fhirCreate(resource: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await fetch(`${fhir.url}/${String(resource.resourceType)}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(resource) });
  return (await r.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  fhir = await createFhirServer();
  patientId = (await fhirCreate({ resourceType: 'Patient', name: [{ family: 'Current' }], gender: 'male' })).id as string;
  secretsDir = await mkdtemp(join(tmpdir(), 'cr-secrets-'));
  const ref = await createSecretStore({ directory: secretsDir }).put('hook-secret', SECRET);
  h = await startIngest('inghook', { SECRETS_DIR: secretsDir });
  await h.configure('ehr-hook', { type: 'webhook', config: { kind: 'fhir_subscription', signature: { secretRef: ref, toleranceSec: 60 }, fhir: { baseUrl: fhir.url },
    resilience: { retry: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 200 } } } });
  await h.configure('crm-hook', { type: 'webhook', config: { kind: 'json', signature: { secretRef: ref }, json: { resourceType: 'CrmContact', idField: 'contact.id' } } });
  url = `http://127.0.0.1:${h.webhookPort}/webhooks/ehr-hook`;
  await eventually('webhook registered', async () => ((await sendWebhook(url, 'wrong', {})).status === 401 ? true : undefined), 30_000);
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await fhir?.close();
  await rm(secretsDir, { recursive: true, force: true });
});

describe('webhook', () => {
  it('refuses bad signatures and replayed (stale) deliveries, and ingests nothing from them', async () => {
    const note = subscriptionNotification({ subscription: 'Subscription/s1', eventNumber: 1, focus: [{ fullUrl: `${fhir.url}/Patient/${patientId}` }] });
    expect((await sendWebhook(url, 'not-the-secret', note)).status).toBe(401);
    expect((await sendWebhook(url, SECRET, note, { signature: 'sha256=00' })).status).toBe(401);
    expect((await sendWebhook(url, SECRET, note, { timestamp: Math.floor(Date.now() / 1000) - 3_600 })).body).toEqual({ error: 'stale timestamp' });
    expect((await sendWebhook(url, SECRET, note, { headers: { 'x-signature-timestamp': '' } })).status).toBe(401);
    expect(await h.rawRecords('ehr-hook')).toEqual([]);
  });

  it('an id-only notification makes the runner read the resource; the 2xx means it is already on Kafka', async () => {
    const note = subscriptionNotification({ subscription: 'Subscription/s1', eventNumber: 2, focus: [{ fullUrl: `${fhir.url}/Patient/${patientId}` }] });
    const res = await sendWebhook(url, SECRET, note);
    expect(res).toEqual({ status: 200, body: { received: 1, new: 1 } });
    const records = await h.rawRecords('ehr-hook');
    expect(records).toHaveLength(1);
    expect(JSON.parse(records[0]!.payload)).toMatchObject({ resourceType: 'Patient', id: patientId, name: [{ family: 'Current' }] });
  });

  it('a sender retry of the same event is acknowledged and emits nothing new', async () => {
    const note = subscriptionNotification({ subscription: 'Subscription/s1', eventNumber: 2, focus: [{ fullUrl: `${fhir.url}/Patient/${patientId}` }] });
    expect(await sendWebhook(url, SECRET, note)).toEqual({ status: 200, body: { received: 1, new: 0 } });
    expect(await h.rawRecords('ehr-hook')).toHaveLength(1);
  });

  it('a full-resource notification still reads the current resource, not the copy in the payload', async () => {
    await fetch(`${fhir.url}/Patient/${patientId}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', id: patientId, name: [{ family: 'Updated' }], gender: 'male' }) });
    const stale = { resourceType: 'Patient', id: patientId, name: [{ family: 'StaleCopy' }] };
    const note = subscriptionNotification({ subscription: 'Subscription/s1', eventNumber: 3, focus: [{ fullUrl: `${fhir.url}/Patient/${patientId}`, resource: stale }] });
    expect(await sendWebhook(url, SECRET, note)).toEqual({ status: 200, body: { received: 1, new: 1 } });
    const records = await h.rawRecords('ehr-hook');
    expect(JSON.parse(records.at(-1)!.payload)).toMatchObject({ name: [{ family: 'Updated' }] });
  });

  it('answers 503 while the FHIR server is down (the sender retries), then accepts the retry', async () => {
    const other = (await fhirCreate({ resourceType: 'Patient', name: [{ family: 'Later' }], gender: 'female' })).id as string;
    const note = subscriptionNotification({ subscription: 'Subscription/s1', eventNumber: 4, focus: [{ fullUrl: `Patient/${other}` }] });
    fhir.faults.set({ status503: { count: 100 }, only: { methods: ['GET'] } });
    expect((await sendWebhook(url, SECRET, note)).status).toBe(503);
    fhir.faults.clear();
    await eventually('accepted after recovery', async () => ((await sendWebhook(url, SECRET, note)).status === 200 ? true : undefined), 30_000, 500);
    expect((await h.rawRecords('ehr-hook')).filter((r) => r.externalId === other)).toHaveLength(1);
  });

  it('dead-letters a signed body it can never process, and answers 4xx', async () => {
    const res = await sendWebhook(url, SECRET, '{not json');
    expect(res.status).toBe(400);
    const dead = await eventually('dead letter', async () => { const d = await h.deadLetters('ehr-hook'); return d.length ? d : undefined; });
    expect(dead[0]!.value?.toString()).toBe('{not json');
    expect(dead[0]!.headers['dlq.error.class']).toBe('payload');
  });

  it('ingests plain JSON webhooks by the configured id path', async () => {
    const crm = `http://127.0.0.1:${h.webhookPort}/webhooks/crm-hook`;
    expect(await sendWebhook(crm, SECRET, { event: 'updated', contact: { id: 'c-9', stage: 'lead' } })).toEqual({ status: 200, body: { received: 1, new: 1 } });
    expect((await sendWebhook(crm, SECRET, { event: 'updated', contact: { stage: 'lead' } })).status).toBe(400);
    const records = await h.rawRecords('crm-hook');
    expect(records.map((r) => [r.resourceType, r.externalId])).toEqual([['CrmContact', 'c-9']]);
  });
});
