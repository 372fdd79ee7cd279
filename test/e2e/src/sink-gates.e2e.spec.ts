/**
 * The write-back gates end to end: the sink as its own process, entity states on
 * entity.state, operators' decisions on review.tasks/review.decisions, and a real
 * FHIR server (its own process) as the EHR. Voice data never reaches the EHR
 * unreviewed, an EHR's own values are never written back to it, a category that
 * needs sign-off waits for the operator, dependencies are confidence-aware, and a
 * refused write goes to sink.dead-letter with its context.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@cr/kafka';
import { endRun, type TestRun } from './env.ts';
import { FhirPeer } from './fhir.ts';
import { eventually, type ServiceProcess } from './processes.ts';
import { byEntity, entity, field, publish, read, results, sinkProcess, startRun, voice, type SyncResult } from './sink-harness.ts';

let run: TestRun;
let ehr: FhirPeer;
let sink: ServiceProcess;

/** The first result for an entity version that satisfies `pred`. */
const until = (what: string, sinkId: string, entityId: string, version: number, pred: (r: SyncResult) => boolean = () => true): Promise<SyncResult> =>
  eventually(what, async () => (await results(run.kafka, sinkId)).find((r) => r.entityId === entityId && r.entityVersion === version && pred(r)), 60_000, 300);

beforeAll(async () => {
  run = await startRun('sinkgates');
  ehr = new FhirPeer('fhir-ehr', run.logDir);
  await ehr.start();
  sink = sinkProcess(run, {
    id: 'ehr', target: { baseUrl: ehr.url }, entityTypes: ['Patient', 'Appointment'], ownDataSourceIds: ['ehr-reader'],
    humanReview: { categories: ['insurance'] }, retry: { initialDelayMs: 200, maxDelayMs: 2_000 }, reconcile: { intervalMs: 2_000 }, flushEvery: 1,
  });
  await sink.start();
  await sink.ready();
}, 120_000);

afterAll(() => endRun(run, [sink, ehr?.proc]));

describe('voice data', () => {
  it('never reaches the EHR unreviewed; once review verifies it, it is written', async () => {
    await publish(run.kafka, [
      entity('p-voice', 'Patient', { 'name.family': field('Lovelace'), birthDate: field('1815-12-10'), phone: voice('+15550001111') }),
      entity('p-voice-only', 'Patient', { 'name.family': voice('Byron'), birthDate: voice('1788-01-22'), phone: voice('+15550002222') }),
    ]);
    const first = await until('p-voice v1', 'ehr', 'p-voice', 1);
    expect(first).toMatchObject({ outcome: 'written', heldFields: { phone: 'below_threshold' } });
    expect(await until('p-voice-only', 'ehr', 'p-voice-only', 1)).toMatchObject({ outcome: 'gated', reasonCode: 'no_eligible_fields' });
    let onEhr = await byEntity(ehr, 'Patient');
    expect(onEhr.byId.get('p-voice')![0]!.telecom).toBeUndefined();
    expect(onEhr.byId.has('p-voice-only')).toBe(false);

    // Review verified the phone (verdict: 0.95, verified), the projection published v2.
    await publish(run.kafka, [entity('p-voice', 'Patient', { 'name.family': field('Lovelace'), birthDate: field('1815-12-10'), phone: field('+15550001111', { dataSourceId: 'voice-agent', origin: 'voice', confidence: 0.95 }) }, { version: 2 })]);
    const second = await until('p-voice v2', 'ehr', 'p-voice', 2);
    expect(second.outcome).toBe('written');
    expect(second.heldFields).toEqual({});
    onEhr = await byEntity(ehr, 'Patient');
    expect(onEhr.byId.get('p-voice')![0]!.telecom).toEqual([{ system: 'phone', value: '+15550001111' }]);
    const history = await read(ehr, `Patient/${first.targetId}/_history`);
    const versions = (history.body.entry as { resource: { meta: { versionId: string }; telecom?: unknown } }[]).map((e) => [e.resource.meta.versionId, e.resource.telecom !== undefined]);
    expect(versions).toEqual([['2', true], ['1', false]]);
    expect(JSON.stringify((await ehr.all('Patient')))).not.toContain('Byron');
  });
});

describe('echo', () => {
  it('never writes a value that came from the EHR back to it, and updates the EHR\'s own record instead of adding one', async () => {
    const own = await ehr.create({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'E-1' }], name: [{ family: 'Smith' }], birthDate: '1970-05-06' });
    const fromEhr = (v: unknown) => field(v, { dataSourceId: 'ehr-reader' });
    const refs = [{ dataSourceId: 'ehr-reader', system: ehr.url, resourceType: 'Patient', externalId: String(own.id) }];
    // The world model still has the EHR's older spelling; it must not go back.
    await publish(run.kafka, [entity('p-echo', 'Patient', { 'name.family': fromEhr('Smyth'), birthDate: fromEhr('1970-05-06') }, { sourceRefs: refs })]);
    expect(await until('p-echo v1', 'ehr', 'p-echo', 1)).toMatchObject({ outcome: 'gated', heldFields: { 'name.family': 'echo', birthDate: 'echo' } });

    await publish(run.kafka, [entity('p-echo', 'Patient', { 'name.family': fromEhr('Smyth'), birthDate: fromEhr('1970-05-06'), phone: field('+15550003333') }, { sourceRefs: refs, version: 2 })]);
    expect(await until('p-echo v2', 'ehr', 'p-echo', 2)).toMatchObject({ outcome: 'written', targetId: own.id, heldFields: { 'name.family': 'echo', birthDate: 'echo' } });
    const stored = (await read(ehr, `Patient/${String(own.id)}`)).body;
    expect(stored).toMatchObject({ name: [{ family: 'Smith' }], telecom: [{ system: 'phone', value: '+15550003333' }], meta: { versionId: '2' } });
    const all = await ehr.all('Patient');
    expect(all.filter((p) => JSON.stringify(p).includes('E-1') || JSON.stringify(p).includes('p-echo'))).toHaveLength(1);
    expect(JSON.stringify(all)).not.toContain('Smyth');
  });
});

describe('human sign-off', () => {
  it('holds a category that needs an operator\'s approval, and writes it (as a carrier code) once approved', async () => {
    const carrier = field('Blue Cross Blue Shield of Texas', { dataSourceId: 'crm', origin: 'crm_sync', eventId: 'evt-ins-4' });
    await publish(run.kafka, [entity('p-ins', 'Patient', { 'name.family': field('Hopper'), birthDate: field('1906-12-09'), 'insurance.carrier': carrier })]);
    const held = await until('p-ins held', 'ehr', 'p-ins', 1);
    expect(held).toMatchObject({ outcome: 'written', heldFields: { 'insurance.carrier': 'awaiting_sign_off' } });
    expect((await read(ehr, `Patient/${held.targetId}`)).body.extension).toBeUndefined();

    const now = Date.now();
    await publish(run.kafka, [{ taskId: 't-ins', entityId: 'p-ins', entityType: 'Patient', eventIds: ['evt-ins-4'], reason: 'insurance needs sign-off', status: 'open', createdAt: now }], TOPICS.reviewTasks, (v) => v.taskId);
    await publish(run.kafka, [{ decisionId: 'd-ins', taskId: 't-ins', entityId: 'p-ins', approved: true, operator: 'op-1', reason: null, decidedAt: now + 1, eventIds: [], entityType: 'Patient' }], TOPICS.reviewDecisions, (v) => v.taskId);
    // Written by the approval's re-evaluation, or just before it by a reconciliation pass that saw the approval.
    const approved = await until('p-ins approved', 'ehr', 'p-ins', 1, (r) => r.trigger === 'approval');
    expect(approved.heldFields).toEqual({});
    expect(['written', 'unchanged']).toContain(approved.outcome);
    expect((await read(ehr, `Patient/${held.targetId}`)).body.extension).toEqual([{ url: 'urn:connector-runner:insurance-carrier', valueCode: 'BCBS' }]);
  });
});

describe('dependencies', () => {
  it('fails an Appointment whose Patient is below the threshold, visibly, and writes nothing', async () => {
    await publish(run.kafka, [entity('p-dep-low', 'Patient', { 'name.family': field('Turing'), birthDate: voice('1912-06-23') })]);
    await until('p-dep-low', 'ehr', 'p-dep-low', 1);
    await publish(run.kafka, [entity('a-dep-low', 'Appointment', { status: field('booked'), start: field('2030-03-01T09:00:00Z'), end: field('2030-03-01T09:30:00Z'), patientId: field('p-dep-low') })]);
    expect(await until('a-dep-low', 'ehr', 'a-dep-low', 1)).toMatchObject({
      outcome: 'dependency_failed', reasonCode: 'dependency', dependsOn: 'p-dep-low', reason: expect.stringContaining('birthDate confidence 0.5 below threshold 0.9'),
    });
    expect(await ehr.all('Appointment')).toEqual([]);
  });

  it('writes an Appointment once its Patient arrives and is written, with a reference to it', async () => {
    await publish(run.kafka, [entity('a-dep', 'Appointment', { status: field('booked'), start: field('2030-03-02T09:00:00Z'), end: field('2030-03-02T09:30:00Z'), patientId: field('p-dep') })]);
    expect(await until('a-dep waits', 'ehr', 'a-dep', 1)).toMatchObject({ outcome: 'dependency_failed', dependsOn: 'p-dep' });
    await publish(run.kafka, [entity('p-dep', 'Patient', { 'name.family': field('Hamilton'), birthDate: field('1936-08-17') })]);
    const p = await until('p-dep', 'ehr', 'p-dep', 1);
    const a = await until('a-dep written', 'ehr', 'a-dep', 1, (r) => r.outcome === 'written');
    expect(a.trigger).toBe('dependency');
    const appt = (await read(ehr, `Appointment/${a.targetId}`)).body as { participant: { actor: { reference: string } }[] };
    expect(appt.participant[0]!.actor.reference).toBe(`Patient/${p.targetId}`);
  });
});

describe('refusals', () => {
  it('fails fast on a validation error and dead-letters it with resource type, status, OperationOutcome and attempt', async () => {
    await publish(run.kafka, [entity('p-bad', 'Patient', { 'name.family': field('Noether'), birthDate: field('1882-03-23'), 'address.postalCode': field(12345) })]);
    expect(await until('p-bad', 'ehr', 'p-bad', 1)).toMatchObject({ outcome: 'failed', reasonCode: 'validation' });
    const dead = await eventually('dead letter', async () => (await run.kafka.readAllRaw('sink.dead-letter.v1', { timeoutMs: 3_000 })).find((m) => m.key === 'p-bad'), 30_000);
    expect(dead.headers).toMatchObject({
      'dlq.stage': 'sink', 'dlq.sink.id': 'ehr', 'dlq.entity.id': 'p-bad', 'dlq.entity.version': '1', 'dlq.step': 'upsert',
      'dlq.target.resourceType': 'Patient', 'dlq.target.status': '400', 'dlq.attempt': '1', 'dlq.error.class': 'payload',
    });
    expect(JSON.parse(dead.headers['dlq.target.operationOutcome']!)).toMatchObject({ resourceType: 'OperationOutcome' });
    const decoded = await run.kafka.registry.decode(dead.value!);
    expect(decoded).toMatchObject({ entityId: 'p-bad', version: 1 });
    expect(await sink.metrics()).toMatch(/cr_dead_letters_total\{[^}]*stage="sink"[^}]*\} [1-9]/);
  });
});

describe('logs', () => {
  it('carry no patient data', async () => {
    const log = await readFile(sink.logPath, 'utf8');
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toMatch(/Lovelace|Byron|Smith|Smyth|Hopper|Blue Cross|Turing|Hamilton|Noether|\+1555|1815-12-10/);
  });
});
