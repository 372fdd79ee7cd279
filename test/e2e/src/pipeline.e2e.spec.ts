/**
 * The thin slice end to end: every service as its own process against the local
 * stack (real Kafka, Apicurio, Postgres), FHIR server A as the source and FHIR
 * server B as the sink's target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestIssuer, type TestIssuer } from '@cr/auth/testing';
import { TOPICS, type KafkaClient } from '@cr/kafka';
import { newRun } from './env.ts';
import { provision } from '../../../scripts/provision.ts';
import { ServiceProcess, eventually, freePort, sleep } from './processes.ts';
import { FhirPeer, syntheticPatient } from './fhir.ts';

const testRun = newRun('e2e');
const { id: run, env: baseEnv, logDir } = testRun;
const FIRST = 30;
const SECOND = 40;

const ehrA = new FhirPeer('fhir-a', logDir);
const ehrB = new FhirPeer('fhir-b', logDir);
const services = new Map<string, ServiceProcess>();
let apiPort = 0;
// The api checks JWTs: the test is its own issuer, with a JWKS file the api reads (API_JWKS_FILE).
let issuer: TestIssuer;
let admin: Record<string, string> = {};
const kafka: KafkaClient = testRun.kafka;
let db: pg.Client;

function service(name: string, extra: NodeJS.ProcessEnv = {}): ServiceProcess {
  const p = new ServiceProcess(name, [`services/${name}/src/main.ts`], { ...baseEnv, ...extra }, logDir);
  services.set(name, p);
  return p;
}

async function countRows(): Promise<number> {
  const r = await db.query(`select count(*)::int as n from "${run}".entity_state where entity_type = 'Patient'`);
  return (r.rows[0] as { n: number }).n;
}

/** Distinct keys and total count of a topic, read from the beginning. */
async function topicCounts(topic: string): Promise<{ total: number; distinct: number }> {
  const records = await kafka.readAll(topic, { timeoutMs: 5_000 });
  return { total: records.length, distinct: new Set(records.map((r) => r.key)).size };
}

/** Patients on B, and how many distinct runner entity ids they carry. */
async function patientsOnB(): Promise<{ total: number; distinctEntities: number }> {
  const all = await ehrB.all('Patient');
  const ids = all.map((p) => (p.identifier as { system: string; value: string }[]).find((i) => i.system === 'urn:connector-runner:entity')?.value);
  return { total: all.length, distinctEntities: new Set(ids).size };
}

beforeAll(async () => {
  await Promise.all([ehrA.start(), ehrB.start()]);
  await provision(baseEnv);
  db = new pg.Client({ connectionString: baseEnv.DATABASE_URL });
  await db.connect();
  for (let i = 0; i < FIRST; i++) await ehrA.create(syntheticPatient(i));

  apiPort = await freePort();
  service('ingest');
  service('unification');
  service('resolution');
  service('review');
  service('projection');
  service('sink', { SINK_ID: 'ehr-b', SINK_FHIR_BASE_URL: ehrB.url });
  service('dispatch');
  issuer = await createTestIssuer();
  admin = await issuer.headers(['admin'], 'e2e-admin');
  service('api', { API_PORT: String(apiPort), API_JWKS_FILE: await issuer.writeJwks(`${logDir}/jwks.json`) });
  for (const p of services.values()) await p.start();
  await Promise.all([...services.values()].map((p) => p.ready()));

  const put = await fetch(`http://127.0.0.1:${apiPort}/v1/data-sources/ehr-a`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...admin },
    body: JSON.stringify({ name: 'EHR A', type: 'fhir_store', config: { baseUrl: ehrA.url, resources: [{ type: 'Patient', intervalMs: 500, pageSize: 10 }] } }),
  });
  expect(put.status).toBe(202);
}, 180_000);


afterAll(async () => {
  await Promise.all([...services.values()].map((p) => p.kill('SIGTERM')));
  await Promise.all([ehrA.proc.kill('SIGTERM'), ehrB.proc.kill('SIGTERM')]);
  await db?.end();
  if (!process.env.KEEP_TEST_DATA) await testRun.cleanup();
});

describe('FHIR A -> world model -> FHIR B', () => {
  it('projects every patient into Postgres and entity.state, and writes each back to B once', async () => {
    await eventually('patients on B', async () => ((await patientsOnB()).total >= FIRST ? true : undefined), 90_000);
    expect(await patientsOnB()).toEqual({ total: FIRST, distinctEntities: FIRST });
    expect(await countRows()).toBe(FIRST);
    expect((await topicCounts(TOPICS.entityState)).distinct).toBe(FIRST);

    const row = await db.query(`select entity_id from "${run}".entity_state where fields->>'name.family' = 'Family7'`);
    const entityId = (row.rows[0] as { entity_id: string }).entity_id;
    const res = await fetch(`http://127.0.0.1:${apiPort}/v1/entities/Patient/${entityId}`, { headers: admin });
    expect(res.status).toBe(200);
    const entity = (await res.json()) as { fields: Record<string, unknown>; provenance: Record<string, { dataSourceId: string; confidence: number }> };
    expect(entity.fields['name.family']).toBe('Family7');
    expect(entity.fields.phone).toMatch(/^\+1555/);
    expect(entity.provenance['name.family']).toMatchObject({ dataSourceId: 'ehr-a', confidence: 1 });
    expect((await fetch(`http://127.0.0.1:${apiPort}/v1/entities/Patient/ent-missing`, { headers: admin })).status).toBe(404);
  });

  it('exports the sink\'s consumer lag, named by its group', async () => {
    // A write shows on B before its offset is committed (commits follow every few records), and
    // the gauge is measured every LAG_INTERVAL_MS: wait until the group has committed everything,
    // then for one more measurement, before reading what the sink exports.
    await eventually('sink group caught up', async () => {
      const [ends, committed] = await Promise.all([kafka.admin.endOffsets(TOPICS.entityState), kafka.admin.committedOffsets('sink-ehr-b', TOPICS.entityState)]);
      return ends.every((e) => e.offset === '0' || committed.find((c) => c.partition === e.partition)?.offset === e.offset) ? true : undefined;
    }, 30_000);
    await sleep(1_500);
    const lag = await eventually('sink lag metric', async () => {
      const m = /cr_consumer_lag\{group="sink-ehr-b",topic="entity.state.v1",partition="0"[^}]*\} (\d+)/.exec(await services.get('sink')!.metrics());
      return m ? Number(m[1]) : undefined;
    }, 30_000);
    expect(lag).toBe(0);
  });

  it('re-polling unchanged data produces no new records or events', async () => {
    const raw = await topicCounts(TOPICS.rawRecords);
    const events = await topicCounts(TOPICS.worldEvents);
    const health = (await topicCounts(TOPICS.sourceHealth)).total;
    expect(raw).toEqual({ total: FIRST, distinct: FIRST });
    // Several poll cycles go by (the source polls every 500 ms) ...
    await eventually('more polls', async () => ((await topicCounts(TOPICS.sourceHealth)).total >= health + 4 ? true : undefined), 30_000);
    // ... and nothing new was emitted.
    expect(await topicCounts(TOPICS.rawRecords)).toEqual(raw);
    expect(await topicCounts(TOPICS.worldEvents)).toEqual(events);
  });

  it('SIGKILL of sink and projection mid-stream loses nothing and duplicates nothing', async () => {
    // Slow B down so the kill lands while writes are in flight.
    await ehrB.faults({ latencyMs: 150 });
    for (let i = FIRST; i < FIRST + SECOND; i++) await ehrA.create(syntheticPatient(i));
    await eventually('sink mid-stream', async () => ((await patientsOnB()).total >= FIRST + 5 ? true : undefined), 60_000, 100);
    const sink = services.get('sink')!;
    const projection = services.get('projection')!;
    await Promise.all([sink.kill('SIGKILL'), projection.kill('SIGKILL')]);
    const atKill = (await patientsOnB()).total;
    expect(atKill).toBeLessThan(FIRST + SECOND); // it really was mid-stream
    await ehrB.faults(null);
    await sink.start();
    await projection.start();
    await Promise.all([sink.ready(), projection.ready()]);

    await eventually('all patients on B', async () => ((await patientsOnB()).total >= FIRST + SECOND ? true : undefined), 120_000);
    await sleep(2_000); // let any duplicate write that was going to happen, happen
    expect(await patientsOnB()).toEqual({ total: FIRST + SECOND, distinctEntities: FIRST + SECOND });
    expect(await countRows()).toBe(FIRST + SECOND);
    expect((await topicCounts(TOPICS.entityState)).distinct).toBe(FIRST + SECOND);
    const raw = await topicCounts(TOPICS.rawRecords);
    expect(raw.distinct).toBe(FIRST + SECOND);
  });
});

describe('logs', () => {
  it('carry no patient data: no names, birth dates or phone numbers in any service log', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const [name, p] of services) {
      const log = await readFile(p.logPath, 'utf8');
      expect(log.length, `${name} wrote a log`).toBeGreaterThan(0);
      expect(log, `${name} log`).not.toMatch(/Family\d+|MRN-\d{6}|\(555\)|\+1555/);
    }
  });
});
