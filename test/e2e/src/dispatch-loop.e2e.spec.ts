/**
 * Issue #7, the dispatch loop end to end: resolution, projection, two dispatch
 * instances and the api as separate processes, the stub agent engine on loopback
 * (capacity 3, interactions of 0.7 s, a quarter of new starts failing, seeded).
 * Source records go in as world events; tasks come from a reminder rule, a
 * campaign and the api; every change to a task comes back as an OutboundTask entity.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '@cr/auth/testing';
import { TOPICS } from '@cr/kafka';
import type { OutboundTask, WorldEvent } from '@cr/world-model';
import { startAgentEngine, type AgentEngine } from '../../peers/src/agent-engine.ts';
import { DAY, HOUR, MRN, patientAttributes, startDispatchRun, type DispatchRun } from './dispatch-harness.ts';
import { eventually, freePort, sleep } from './processes.ts';

const CONCURRENCY = 2;
const INITIAL_DELAY_MS = 500;
const JITTER = 0.2;
let d: DispatchRun;
let engine: AgentEngine;
let issuer: TestIssuer;
let apiPort = 0;

const config = (engineUrl: string) => ({
  engine: { url: engineUrl, timeoutMs: 2_000 },
  concurrency: CONCURRENCY, tickMs: 150, pollMs: 150, claimTimeoutMs: 3_000, outboxMs: 100,
  retry: { maxAttempts: 8, initialDelay: `${INITIAL_DELAY_MS}ms`, maxDelay: '2s', jitter: JITTER },
  workspaces: [{
    id: 'north', dataSources: ['ehr-a'],
    rules: [{ id: 'reminder-24h', entityType: 'Appointment', anchor: 'start', offset: '-24h', purpose: 'appointment_reminder' }],
    campaigns: [{ id: 'flu', purpose: 'flu_shot_outreach', channel: 'text', startAt: new Date(Date.now() - HOUR).toISOString(), cohort: { fieldEquals: { 'address.state': 'NY' } } }],
  }],
});

async function patient(i: number, extra: Record<string, unknown> = {}): Promise<void> {
  await d.record('ehr-a', 'Patient', `p-${i}`, patientAttributes(i, extra), [{ system: MRN, value: `MRN-7${String(i).padStart(4, '0')}` }]);
}
async function appointment(i: number, start: number, status = 'booked'): Promise<void> {
  await d.record('ehr-a', 'Appointment', `a-${i}`, { status, start: new Date(start).toISOString(), patient: `Patient/p-${i}`, description: 'Annual check-up' });
}
const doneTasks = async (createdBy?: string): Promise<OutboundTask[]> => (await d.tasks()).filter((t) => t.status === 'completed' && (!createdBy || t.createdBy === createdBy));
const startsOf = (taskId: string) => engine.stats.starts.filter((s) => s.taskId === taskId);

beforeAll(async () => {
  engine = await startAgentEngine({ capacity: 3, durationMs: 700, failureRate: 0.25, seed: 3 });
  d = await startDispatchRun('dispatch');
  issuer = await createTestIssuer();
  apiPort = await freePort();
  const env = { DISPATCH_CONFIG: JSON.stringify(config(engine.origin)) };
  d.service('resolution');
  d.service('projection');
  d.service('dispatch', 'dispatch-a', { ...env, INSTANCE_ID: 'dispatch-a' });
  d.service('dispatch', 'dispatch-b', { ...env, INSTANCE_ID: 'dispatch-b' });
  d.service('api', 'api', { API_PORT: String(apiPort), API_JWKS_FILE: await issuer.writeJwks(`${d.run.logDir}/jwks.json`) });
  for (const p of d.processes.values()) await p.start();
  await Promise.all([...d.processes.values()].map((p) => p.ready()));
}, 180_000);

afterAll(async () => {
  await d?.stop();
  await engine?.close();
});

describe('the dispatch loop', () => {
  const REMINDERS = 10;
  const NY = new Set([1, 4, 7]);

  it('dispatches due tasks within capacity, each exactly once across two instances, with the patient\'s context', async () => {
    const started = Date.now();
    for (let i = 0; i < REMINDERS; i++) await patient(i, NY.has(i) ? { 'address.state': 'NY' } : { 'address.state': 'NJ' });
    for (let i = 0; i < REMINDERS; i++) await appointment(i, Date.now() + 23 * HOUR);

    const done = await eventually('reminders and campaign tasks completed', async () => {
      const t = await doneTasks();
      return t.length >= REMINDERS + NY.size ? t : undefined;
    }, 120_000, 500);
    process.stdout.write(`[figure] ${done.length} tasks dispatched and completed in ${((Date.now() - started) / 1000).toFixed(1)} s (concurrency ${CONCURRENCY}, ${engine.stats.injectedFailures} injected failures)\n`);

    expect(done.filter((t) => t.createdBy === 'rule:reminder-24h')).toHaveLength(REMINDERS);
    expect(done.filter((t) => t.createdBy === 'campaign:flu')).toHaveLength(NY.size);
    // Within capacity: never more interactions at once than the concurrency limit (the engine would take 3).
    expect(engine.stats.maxActive).toBeLessThanOrEqual(CONCURRENCY);
    expect(engine.stats.maxActive).toBeGreaterThan(0);
    // Never twice: one interaction per task, whatever the retries and the two instances.
    for (const t of done) expect(engine.stats.interactionsByTask.get(t.taskId), t.taskId).toHaveLength(1);
    const { rows: byInstance } = await d.db.query<{ instance_id: string; n: string }>(`select instance_id, count(*) as n from "${d.run.id}".dispatch_attempts group by instance_id order by instance_id`);
    expect(byInstance.map((r) => r.instance_id)).toEqual(['dispatch-a', 'dispatch-b']);

    // Pre-loaded context: each reminder carried its own patient's projected state and its appointment.
    for (const t of done.filter((x) => x.createdBy === 'rule:reminder-24h')) {
      const body = engine.stats.bodies.get(t.taskId) as { patient: { entityId: string; fields: Record<string, unknown> }; subject: { fields: Record<string, unknown> }; purpose: string };
      const i = Number(String(body.subject.fields.patient).replace('Patient/p-', ''));
      expect(body.patient.fields['name.family']).toBe(patientAttributes(i)['name.family']);
      expect(body.patient.entityId).toBe(t.patient);
      expect(body.purpose).toBe('appointment_reminder');
    }
    for (const t of done.filter((x) => x.createdBy === 'campaign:flu')) {
      expect((engine.stats.bodies.get(t.taskId) as { patient: { fields: Record<string, unknown> } }).patient.fields['address.state']).toBe('NY');
    }
    // Every task is a world-model entity: the projection shows it completed.
    await eventually('completed tasks projected', async () => {
      for (const t of done) if ((await d.projectedTask(t.taskId))?.status !== 'completed') return undefined;
      return true;
    }, 60_000, 500);
  }, 180_000);

  it('retries a failed start with backoff, and records every attempt and outcome as events', async () => {
    const failed = [...new Set(engine.stats.starts.filter((s) => s.status === 503).map((s) => s.taskId))];
    expect(failed.length).toBeGreaterThan(0);
    const events = (await d.run.kafka.readAll<WorldEvent>(TOPICS.worldEvents, { timeoutMs: 5_000 })).map((r) => r.value).filter((e) => e.entityType === 'OutboundTask');
    for (const taskId of failed) {
      const starts = startsOf(taskId);
      for (const [k, s] of starts.entries()) {
        if (s.status !== 503) continue;
        const next = starts[k + 1];
        expect(next, `${taskId} retried`).toBeDefined();
        expect(next!.attemptId).not.toBe(s.attemptId);
        expect(next!.at - s.at).toBeGreaterThanOrEqual(INITIAL_DELAY_MS * (1 - JITTER) - 50);
      }
      const changes = events.filter((e) => JSON.parse(e.attributes.taskId!) === taskId).sort((a, b) => a.observedAt - b.observedAt).map((e) => JSON.parse(e.attributes.change!) as string);
      expect(changes[0]).toBe('task_scheduled');
      expect(changes).toContain('attempt_failed');
      expect(changes.indexOf('attempt_started')).toBeLessThan(changes.indexOf('attempt_failed'));
      expect(changes.at(-1)).toBe('task_completed');
      const { rows } = await d.db.query<{ result: string; error: string | null }>(`select result, error from "${d.run.id}".dispatch_attempts where task_id = $1 order by attempt`, [taskId]);
      expect(rows.slice(0, -1)).toContainEqual(expect.objectContaining({ result: 'failed', error: expect.stringContaining('503') }));
      expect(rows.at(-1)!.result).toBe('reached');
      expect((await d.task(taskId))!.attempts).toBe(rows.length);
    }
  });

  it('moves a reminder at once when its appointment is rescheduled, and cancels it when the appointment is cancelled', async () => {
    const soon = Date.now() + DAY + 15_000; // reminders due in 15 s
    await patient(20);
    await patient(21);
    await appointment(20, soon);
    await appointment(21, soon);
    const [moved, cancelled] = await eventually('two reminders scheduled', async () => {
      const t = (await d.tasks()).filter((x) => x.createdBy === 'rule:reminder-24h' && x.dueAt === soon - DAY && x.status === 'scheduled');
      if (t.length < 2) return undefined;
      const forP = async (i: number): Promise<OutboundTask | undefined> => {
        for (const x of t) if ((await d.db.query(`select 1 from "${d.run.id}".dispatch_entities where entity_id = $1 and fields->>'patient' = $2`, [x.subject, `Patient/p-${i}`])).rowCount) return x;
        return undefined;
      };
      const a = await forP(20);
      const b = await forP(21);
      return a && b ? [a, b] as const : undefined;
    }, 12_000, 200);

    const later = Date.now() + 3 * DAY;
    const changedAt = Date.now();
    await d.record('ehr-a', 'Appointment', 'a-20', { status: 'booked', start: new Date(later).toISOString(), patient: 'Patient/p-20', description: 'Annual check-up' });
    await appointment(21, soon, 'cancelled');
    await eventually('reminder moved and reminder cancelled', async () => {
      const m = await d.task(moved.taskId);
      const c = await d.task(cancelled.taskId);
      return m?.dueAt === later - DAY && m.status === 'scheduled' && c?.status === 'cancelled' ? true : undefined;
    }, 10_000, 100);
    process.stdout.write(`[figure] appointment change -> reminder moved / cancelled in dispatch: ${((Date.now() - changedAt) / 1000).toFixed(2)} s\n`);
    expect((await d.task(cancelled.taskId))!.outcome).toBe('Appointment cancelled');
    await eventually('the changes projected', async () => {
      const m = await d.projectedTask(moved.taskId);
      const c = await d.projectedTask(cancelled.taskId);
      return m?.dueAt === new Date(later - DAY).toISOString() && c?.status === 'cancelled' ? true : undefined;
    }, 20_000, 250);

    // Past the old due time, nothing went out for either.
    await sleep(Math.max(0, soon - DAY - Date.now()) + 2_000);
    expect(startsOf(moved.taskId)).toEqual([]);
    expect(startsOf(cancelled.taskId)).toEqual([]);
    expect((await d.task(moved.taskId))!.status).toBe('scheduled');
  }, 60_000);

  it('dispatches a task an operator or an agent asks for through the api', async () => {
    await patient(30);
    const entityId = await eventually('patient projected', async () => {
      const { rows } = await d.db.query<{ entity_id: string }>(`select entity_id from "${d.run.id}".entity_state where entity_type = 'Patient' and identifiers @> $1::jsonb`, [JSON.stringify([{ system: MRN, value: 'MRN-70030' }])]);
      return rows[0]?.entity_id;
    }, 30_000);
    const post = async (roles: string[], body: Record<string, unknown>) => {
      const res = await fetch(`http://127.0.0.1:${apiPort}/v1/dispatch/tasks`, { method: 'POST', headers: { ...(await issuer.headers(roles, `${roles[0]}-1`)), 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, json: await res.json() as Record<string, unknown> };
    };
    const body = { requestId: 'call-back-30', patientEntityId: entityId, purpose: 'callback', channel: 'voice', priority: 9 };
    expect((await post(['readonly'], body)).status).toBe(403);
    expect((await post(['agent'], { ...body, patientEntityId: 'ent-nobody' })).status).toBe(404);
    const created = await post(['agent'], body);
    expect(created.status).toBe(202);
    const taskId = String(created.json.taskId);
    expect((await post(['agent'], body)).json.taskId).toBe(taskId); // a retried request is the same task

    const task = await eventually('manual task completed', async () => { const t = await d.task(taskId); return t?.status === 'completed' ? t : undefined; }, 60_000, 250);
    expect(task).toMatchObject({ createdBy: 'manual:agent-1', purpose: 'callback', patient: entityId, priority: 9 });
    expect(engine.stats.interactionsByTask.get(taskId)).toHaveLength(1);
    expect((engine.stats.bodies.get(taskId) as { patient: { fields: Record<string, unknown> } }).patient.fields['name.family']).toBe(patientAttributes(30)['name.family']);
  }, 90_000);

  it('an instance killed mid-dispatch: its claims are taken over with the same attempt, nothing goes out twice', async () => {
    engine.setFailureRate(0);
    engine.setStartDelay(1_500); // the engine acts at once but answers late: a kill loses the answer
    const t0 = Date.now();
    const LEAD = 12_000; // reminders due 12 s from now
    const mine = async (): Promise<OutboundTask[]> => (await d.tasks()).filter((t) => t.createdBy === 'rule:reminder-24h' && t.dueAt >= t0 + LEAD && t.dueAt < t0 + LEAD + 10_000);
    for (let i = 40; i < 46; i++) await patient(i);
    for (let i = 40; i < 46; i++) await appointment(i, Date.now() + DAY + LEAD);
    await eventually('the burst scheduled', async () => ((await mine()).length === 6 ? true : undefined), LEAD - 2_000, 100);
    // dispatch-a is frozen (SIGSTOP) before anything is due, so it holds no claim and dispatch-b claims the burst.
    const a = d.processes.get('dispatch-a')!;
    void a.kill('SIGSTOP');
    // Kill dispatch-b while a start it sent is unanswered (the engine has started the interaction).
    const orphan = await eventually('dispatch-b waiting on a start', async () => {
      const { rows } = await d.db.query<{ attempt_id: string; task_id: string }>(`select attempt_id, task_id from "${d.run.id}".dispatch_attempts where instance_id = 'dispatch-b' and result is null`);
      return rows.find((r) => engine.stats.starts.some((s) => s.attemptId === r.attempt_id && s.status === 201));
    }, 60_000, 20);
    await d.processes.get('dispatch-b')!.kill('SIGKILL');
    void a.kill('SIGCONT');
    engine.setStartDelay(0);
    const done = await eventually('the burst completed by the survivor', async () => {
      const t = await mine();
      return t.length === 6 && t.every((x) => x.status === 'completed') ? t : undefined;
    }, 90_000, 250);
    for (const t of done) expect(engine.stats.interactionsByTask.get(t.taskId), t.taskId).toHaveLength(1);
    // The orphaned attempt was re-sent by dispatch-a under the same key and answered with the same interaction.
    expect(startsOf(orphan.task_id).filter((s) => s.attemptId === orphan.attempt_id).map((s) => s.status)).toEqual([201, 200]);
    const { rows: [attempt] } = await d.db.query<{ result: string; instance_id: string }>(`select result, instance_id from "${d.run.id}".dispatch_attempts where attempt_id = $1`, [orphan.attempt_id]);
    expect(attempt).toMatchObject({ result: 'reached', instance_id: 'dispatch-b' });
    const resumed = (await d.run.kafka.readAll<WorldEvent>(TOPICS.worldEvents, { timeoutMs: 5_000 })).filter((r) => r.value.entityType === 'OutboundTask' && JSON.parse(r.value.attributes.change!) === 'attempt_resumed');
    expect(resumed.map((r) => JSON.parse(r.value.attributes.taskId!))).toContain(orphan.task_id);
    process.stdout.write(`[figure] claims taken over from the killed instance: ${resumed.length}\n`);
  }, 150_000);

  it('keeps patient data out of the logs', async () => {
    for (const name of ['dispatch-a', 'dispatch-b']) {
      const log = await readFile(d.processes.get(name)!.logPath, 'utf8');
      expect(log.length).toBeGreaterThan(0);
      for (const i of [0, 1, 20, 30, 40]) {
        const a = patientAttributes(i);
        expect(log).not.toContain(String(a['name.family']));
        expect(log).not.toContain(String(a.phone));
      }
    }
  });
});
