/**
 * `make demo`: two FHIR servers, every service as its own process, and patients
 * flowing from FHIR server A through the world model to FHIR server B.
 * Prints a summary and where to look; with a terminal attached it keeps running
 * until Ctrl-C, otherwise (or with --exit) it stops by itself.
 */
import { createTestIssuer } from '@cr/auth/testing';
import { TOPICS } from '@cr/kafka';
import { FhirPeer, ServiceProcess, eventually, freePort, newRun, syntheticPatient } from '@cr/e2e';
import { provision } from './provision.ts';

const PATIENTS = 20;
const SERVICES = ['ingest', 'unification', 'resolution', 'review', 'projection', 'sink', 'dispatch', 'api'] as const;
const say = (s: string): void => { process.stdout.write(`${s}\n`); };

const run = newRun('demo');
const ehrA = new FhirPeer('fhir-a', run.logDir);
const ehrB = new FhirPeer('fhir-b', run.logDir);
const procs: ServiceProcess[] = [];

async function stopAll(): Promise<void> {
  await Promise.all(procs.map((p) => p.kill('SIGTERM')));
  await Promise.all([ehrA.proc.kill('SIGTERM'), ehrB.proc.kill('SIGTERM')]);
  await run.kafka.disconnect();
}

try {
  say(`demo run ${run.id}: topics prefixed "${run.env.TOPIC_PREFIX}", Postgres schema "${run.id}"`);
  await Promise.all([ehrA.start(), ehrB.start()]);
  say(`FHIR server A (source): ${ehrA.url}`);
  say(`FHIR server B (target): ${ehrB.url}`);
  await provision(run.env);
  for (let i = 0; i < PATIENTS; i++) await ehrA.create(syntheticPatient(i));
  say(`loaded ${PATIENTS} patients into A`);

  const apiPort = Number(process.env.API_PORT ?? (await freePort()));
  // The api checks JWTs against a JWKS; the demo is its own issuer (a fresh key pair, JWKS file in the log dir).
  const issuer = await createTestIssuer();
  const jwksFile = `${run.logDir}/jwks.json`;
  const adminToken = await issuer.token({ sub: 'demo-admin', roles: ['admin'], expiresIn: '12h' });
  for (const name of SERVICES) {
    const extra: NodeJS.ProcessEnv = name === 'sink' ? { SINK_ID: 'ehr-b', SINK_FHIR_BASE_URL: ehrB.url } : name === 'api' ? { API_PORT: String(apiPort), API_JWKS_FILE: jwksFile } : {};
    const p = new ServiceProcess(name, [`services/${name}/src/main.ts`], { ...run.env, ...extra }, run.logDir);
    procs.push(p);
    if (name === 'api') await issuer.writeJwks(jwksFile);
    await p.start();
  }
  await Promise.all(procs.map((p) => p.ready()));
  say(`started ${SERVICES.length} services`);

  const put = await fetch(`http://127.0.0.1:${apiPort}/v1/data-sources/ehr-a`, {
    method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ name: 'EHR A', type: 'fhir_store', config: { baseUrl: ehrA.url, resources: [{ type: 'Patient', intervalMs: 2000, pageSize: 50 }] } }),
  });
  if (put.status !== 202) throw new Error(`configuring the data source failed: ${put.status}`);
  say('configured data source ehr-a (fhir_store, Patient every 2 s) through the api');

  const started = Date.now();
  await eventually('patients on B', async () => ((await ehrB.all('Patient')).length >= PATIENTS ? true : undefined), 120_000);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const count = async (t: string): Promise<number> => (await run.kafka.readAll(t, { timeoutMs: 5_000 })).length;
  const states = await run.kafka.readAll<{ entityId: string }>(TOPICS.entityState, { timeoutMs: 5_000 });
  const sample = states[0]?.value.entityId;

  say('');
  say(`all ${PATIENTS} patients reached FHIR server B in ${seconds} s`);
  say(`  ingest.raw-records      ${await count(TOPICS.rawRecords)}`);
  say(`  world.events            ${await count(TOPICS.worldEvents)}`);
  say(`  world.entity-events     ${await count(TOPICS.entityEvents)}`);
  say(`  entity.state            ${states.length}`);
  say(`  sink.results            ${await count(TOPICS.sinkResults)}`);
  say('');
  say('where to look:');
  // JWTs for this demo's api (12 h), one per role, for the curl examples in the README.
  say(`  export TOKEN=${adminToken}`);
  say(`  export AGENT_TOKEN=${await issuer.token({ sub: 'demo-agent', roles: ['agent'], expiresIn: '12h' })}`);
  say(`  export OPERATOR_TOKEN=${await issuer.token({ sub: 'demo-operator', roles: ['operator'], expiresIn: '12h' })}`);
  if (sample) say(`  curl -H "authorization: Bearer $TOKEN" http://127.0.0.1:${apiPort}/v1/entities/Patient/${sample}`);
  say(`  curl '${ehrB.url}/Patient?_count=5'`);
  say(`  psql postgres://postgres@127.0.0.1:5432/test -c 'select entity_id, fields from "${run.id}".entity_state limit 5'`);
  for (const p of procs) say(`  ${p.name.padEnd(12)} metrics http://127.0.0.1:${p.opsPort}/metrics   log ${p.logPath}`);

  if (process.stdout.isTTY && !process.argv.includes('--exit')) {
    say('\nrunning; press Ctrl-C to stop');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
} finally {
  await stopAll();
}
