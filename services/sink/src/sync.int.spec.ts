/**
 * The sink's write path against a real FHIR R4 server (the test server, on
 * loopback) and Postgres: autonomous creation of a dependency, multi-step writes
 * retried step by step, optimistic locking, validation refusals, and a write the
 * server dropped silently, healed by reading back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFhirServer, type FhirServer } from '@cr/fhir-test-server';
import type { Db } from '@cr/runtime';
import type { SinkConfigInput } from '@cr/world-model';
import { entity, field, freshDb, sync, testContext } from './testing.ts';
import type { SyncContext } from './sync.ts';
import type { TargetError } from './target/index.ts';

let server: FhirServer;
let db: Db;
let drop: () => Promise<void>;
let ctx: SyncContext;

const APPOINTMENT_WITH_STEPS: SinkConfigInput['mappings'] = {
  Appointment: {
    target: 'Appointment',
    required: ['status', 'patientId'],
    fields: {
      status: { path: 'status' },
      start: { path: 'start' },
      end: { path: 'end' },
      patientId: { path: 'participant[0].actor.reference', reference: 'Patient', also: { 'participant[0].status': 'accepted' } },
      practitionerId: { path: 'participant[1].actor.reference', reference: 'Practitioner', also: { 'participant[1].status': 'accepted' } },
    },
    steps: [
      { kind: 'create', name: 'notify-practitioner', target: 'Communication', values: { status: { const: 'completed' }, 'recipient[0].reference': { ref: 'practitionerId' }, 'about[0].reference': { ref: 'self' }, 'payload[0].contentString': { const: 'Appointment booked' } } },
      { kind: 'update', name: 'patient-last-appointment', reference: 'patientId', values: { 'extension[url=urn:connector-runner:last-appointment].valueReference.reference': { ref: 'self' } } },
    ],
  },
};

const patient = (id: string, over: Record<string, ReturnType<typeof field>> = {}, version = 1) =>
  entity(id, 'Patient', { 'name.family': field(`Family-${id}`), 'name.given': field(['Ada']), birthDate: field('1980-02-03'), ...over }, { version });
const stats = async (): Promise<Record<string, number>> => (await (await fetch(`${server.adminUrl}/stats`)).json() as { requests: { byResourceType: Record<string, number> } }).requests.byResourceType;
const get = async <T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }> => {
  const r = await fetch(`${server.url}/${path}`);
  return { status: r.status, body: (await r.json()) as T };
};
const search = async (type: string): Promise<Array<Record<string, unknown>>> =>
  ((await get<{ entry?: { resource: Record<string, unknown> }[] }>(`${type}?_count=1000`)).body.entry ?? []).map((e) => e.resource);

beforeAll(async () => {
  server = await createFhirServer();
  ({ db, drop } = await freshDb('sink_int'));
  ctx = await testContext(db, { id: 'int', target: { baseUrl: server.url }, entityTypes: ['Patient', 'Appointment'], ownDataSourceIds: ['ehr-reader'], mappings: APPOINTMENT_WITH_STEPS });
});

afterAll(async () => {
  await server?.close();
  await drop?.();
});

describe('autonomous creation of a dependency', () => {
  it('creates the Patient first (validated) when its Appointment needs it and it is not in the EHR yet', async () => {
    const p = patient('p-auto');
    await ctx.entities.save(p); // known to the sink, never written
    const out = await sync(ctx, entity('a-auto', 'Appointment', { status: field('booked'), start: field('2030-01-02T09:00:00Z'), end: field('2030-01-02T09:30:00Z'), patientId: field('p-auto') }));
    expect(out.results.map((r) => [r.entityId, r.outcome, r.trigger])).toEqual([['p-auto', 'written', 'dependency'], ['a-auto', 'written', 'realtime']]);
    const patientId = out.results[0]!.targetId;
    const appointment = (await get<{ participant: { actor: { reference: string } }[] }>(`Appointment/${out.results[1]!.targetId}`)).body;
    expect(appointment.participant[0]!.actor.reference).toBe(`Patient/${patientId}`);
    expect((await search('Patient')).filter((r) => JSON.stringify(r).includes('p-auto'))).toHaveLength(1);
  });

  it('fails the Appointment (not pending) when its Patient is below the threshold', async () => {
    await ctx.entities.save(patient('p-low', { birthDate: field('1980-02-03', { origin: 'voice', confidence: 0.5, verified: false }) }));
    const out = await sync(ctx, entity('a-low', 'Appointment', { status: field('booked'), patientId: field('p-low') }));
    expect(out.results.at(-1)).toMatchObject({ outcome: 'dependency_failed', reasonCode: 'dependency', dependsOn: 'p-low', reason: expect.stringContaining('confidence 0.5 below threshold 0.9') });
    expect((await search('Appointment')).some((a) => JSON.stringify(a).includes('a-low'))).toBe(false);
  });
});

describe('multi-step writes', () => {
  it('re-runs only the step that failed: the Appointment is written once, the notification once', async () => {
    await sync(ctx, patient('p-steps'));
    const practitioner = await (await fetch(`${server.url}/Practitioner`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Practitioner', name: [{ family: 'Who' }] }) })).json() as { id: string };
    await ctx.entities.save(entity('d-1', 'Practitioner', { 'name.family': field('Who', { dataSourceId: 'ehr-reader' }) }, { sourceRefs: [{ dataSourceId: 'ehr-reader', system: 'ehr', resourceType: 'Practitioner', externalId: practitioner.id }] }));
    const appt = entity('a-steps', 'Appointment', { status: field('booked'), start: field('2030-01-03T09:00:00Z'), end: field('2030-01-03T09:30:00Z'), patientId: field('p-steps'), practitionerId: field('d-1') });
    await fetch(`${server.adminUrl}/faults`, { method: 'POST', body: JSON.stringify({ status503: { count: 1 }, only: { resourceTypes: ['Communication'] } }) });
    const before = await stats();
    await expect(sync(ctx, appt)).rejects.toMatchObject({ retriable: true });
    const afterFailure = await stats();
    expect((afterFailure.Appointment ?? 0) - (before.Appointment ?? 0)).toBeGreaterThan(0);

    const out = await sync(ctx, appt, { attempt: 2 });
    const after = await stats();
    expect(after.Appointment).toBe(afterFailure.Appointment); // the Appointment step was not run again
    expect(out.results.at(-1)).toMatchObject({ outcome: 'written', steps: [
      { name: 'upsert', status: 'skipped' }, { name: 'notify-practitioner', status: 'done', targetType: 'Communication' }, { name: 'patient-last-appointment', status: 'done', targetType: 'Patient' },
    ] });
    const selfRef = `Appointment/${out.results.at(-1)!.targetId}`;
    const comms = (await search('Communication')).filter((c) => JSON.stringify(c).includes(selfRef));
    expect(comms).toHaveLength(1);
    expect(JSON.stringify(comms[0])).toContain(`Practitioner/${practitioner.id}`);
    const p = (await get<{ extension?: { url: string; valueReference: { reference: string } }[] }>(`Patient/${out.results.at(-1)!.steps[2]!.targetId}`)).body;
    expect(p.extension).toEqual([{ url: 'urn:connector-runner:last-appointment', valueReference: { reference: selfRef } }]);

    expect((await sync(ctx, appt, { attempt: 3 })).results.at(-1)!.outcome).toBe('unchanged');
    expect((await search('Communication')).filter((c) => JSON.stringify(c).includes(selfRef))).toHaveLength(1);
  });
});

describe('FHIR writes', () => {
  it('updates with If-Match; after a 412 it reads again, projects again and keeps the other writer\'s change', async () => {
    const first = await sync(ctx, patient('p-412'));
    const id = first.results.at(-1)!.targetId!;
    // Another writer changes the record between our read and our write.
    const read = ctx.target.read.bind(ctx.target);
    let interfered = false;
    ctx.target.read = async (type, rid) => {
      const r = await read(type, rid);
      if (!interfered && r && rid === id) {
        interfered = true;
        await fetch(`${server.url}/Patient/${id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ ...r.body, gender: 'female' }) });
      }
      return r;
    };
    try {
      const out = await sync(ctx, patient('p-412', { phone: field('+15550100') }, 2));
      expect(out.results.at(-1)!.outcome).toBe('written');
    } finally {
      ctx.target.read = read;
    }
    const stored = (await get<{ gender: string; telecom: unknown[]; meta: { versionId: string } }>(`Patient/${id}`)).body;
    expect(stored).toMatchObject({ gender: 'female', telecom: [{ system: 'phone', value: '+15550100' }], meta: { versionId: '3' } });
    expect(interfered).toBe(true);
  });

  it('creates conditionally: the same entity twice is one resource', async () => {
    const a = await sync(ctx, patient('p-once'));
    await db('sink_targets').where({ entity_id: 'p-once' }).delete(); // the ledger lost it (e.g. restored from backup)
    const b = await sync(ctx, patient('p-once', {}, 2));
    expect(b.results.at(-1)!.targetId).toBe(a.results.at(-1)!.targetId);
    expect((await search('Patient')).filter((r) => JSON.stringify(r).includes('p-once'))).toHaveLength(1);
  });

  it('refuses fast on a validation error, with status and OperationOutcome for the dead letter', async () => {
    const out = await sync(ctx, patient('p-invalid', { 'address.postalCode': field(12345) }));
    expect(out.results.at(-1)).toMatchObject({ outcome: 'failed', reasonCode: 'validation' });
    const error = out.failure!.error as TargetError;
    expect(out.failure).toMatchObject({ step: 'upsert', recordType: 'Patient' });
    expect(error.status).toBe(400);
    expect(error.outcome).toMatchObject({ resourceType: 'OperationOutcome' });
    expect(error.message).not.toContain('12345');
  });

  it('checks a record before creating it: a spoken birth date never reaches the EHR', async () => {
    const out = await sync(ctx, patient('p-pre', { birthDate: field('third of May') }));
    expect(out.results.at(-1)).toMatchObject({ outcome: 'failed', reasonCode: 'validation', reason: 'preflight: Patient.birthDate: not a FHIR date' });
    expect((await search('Patient')).some((r) => JSON.stringify(r).includes('p-pre'))).toBe(false);
  });

  it('heals a write the EHR dropped silently when reading it back', async () => {
    await fetch(`${server.adminUrl}/faults`, { method: 'POST', body: JSON.stringify({ dropWritesRatio: 1 }) });
    const out = await sync(ctx, patient('p-drop'));
    await fetch(`${server.adminUrl}/faults`, { method: 'DELETE' });
    expect(out.results.at(-1)!.outcome).toBe('written');
    expect((await get(`Patient/${out.results.at(-1)!.targetId}`)).status).toBe(404); // answered 201, not stored
    expect((await ctx.ledger.position('p-drop'))?.verified).toBe(false);

    const healed = await sync(ctx, patient('p-drop'), { trigger: 'reconcile', verify: true });
    expect(healed.results.at(-1)!.outcome).toBe('written');
    expect((await get(`Patient/${healed.results.at(-1)!.targetId}`)).status).toBe(200);
    const again = await sync(ctx, patient('p-drop'), { trigger: 'reconcile', verify: true });
    expect(again.results.at(-1)!.outcome).toBe('unchanged');
    expect((await ctx.ledger.position('p-drop'))?.verified).toBe(true);
  });
});
