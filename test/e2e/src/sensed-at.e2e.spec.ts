/**
 * The `cr-sensed-at` header end to end: an agent write through the api is
 * stamped with the time the api received it; resolution and projection (real
 * processes) carry it onto world.entity-events and entity.state, and each
 * observes its end-to-end latency in cr_pipeline_latency_seconds.
 */
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer } from '@cr/auth/testing';
import { SENSED_AT_HEADER, TOPICS } from '@cr/kafka';
import { provision } from '../../../scripts/provision.ts';
import { endRun, eventually, freePort, newRun, ServiceProcess, type TestRun } from './index.ts';

let run: TestRun;
const services: ServiceProcess[] = [];
let apiPort = 0;
let headers: Record<string, string> = {};

/** Sum of `name{stage="<stage>"}` samples on a process's /metrics. */
async function sample(p: ServiceProcess, name: string, stage: string): Promise<number> {
  return (await p.metrics()).split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(`stage="${stage}"`))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

beforeAll(async () => {
  run = newRun('sensed');
  await provision(run.env);
  const issuer = await createTestIssuer();
  headers = { ...(await issuer.headers(['agent'], 'agent-1')), 'content-type': 'application/json' };
  apiPort = await freePort();
  await mkdir(run.logDir, { recursive: true });
  for (const [name, extra] of [['resolution', {}], ['projection', {}], ['api', { API_PORT: String(apiPort), API_JWKS_FILE: await issuer.writeJwks(`${run.logDir}/jwks.json`) }]] as const) {
    services.push(new ServiceProcess(name, [`services/${name}/src/main.ts`], { ...run.env, ...extra }, run.logDir));
  }
  for (const p of services) await p.start();
  await Promise.all(services.map((p) => p.ready()));
}, 180_000);

afterAll(async () => {
  await endRun(run, services);
});

describe('sensed-at header from the api to entity.state', () => {
  it('stamps an agent write with its receipt time and carries it through resolution and projection', async () => {
    const before = Date.now();
    const r = await fetch(`http://127.0.0.1:${apiPort}/v1/world/events`, {
      method: 'POST', headers,
      body: JSON.stringify({ requestId: 'sensed-1', entityType: 'Patient', origin: 'voice', identifiers: [{ system: 'urn:test:mrn', value: 'S-1' }], attributes: { phone: '+15550001111' } }),
    });
    const after = Date.now();
    expect(r.status).toBe(202);

    const [event] = await run.kafka.readAll(TOPICS.worldEvents, { until: (rs) => rs.length >= 1, timeoutMs: 20_000 });
    const sensedAt = Number(event?.headers[SENSED_AT_HEADER]);
    expect(sensedAt).toBeGreaterThanOrEqual(before);
    expect(sensedAt).toBeLessThanOrEqual(after);

    const [resolved] = await run.kafka.readAll(TOPICS.entityEvents, { until: (rs) => rs.length >= 1, timeoutMs: 30_000 });
    expect(resolved?.headers[SENSED_AT_HEADER]).toBe(String(sensedAt));
    const [state] = await run.kafka.readAll(TOPICS.entityState, { until: (rs) => rs.length >= 1, timeoutMs: 30_000 });
    expect(state?.headers[SENSED_AT_HEADER]).toBe(String(sensedAt));

    const [resolution, projection] = services;
    for (const [p, stage] of [[resolution!, 'resolution'], [projection!, 'projection']] as const) {
      await eventually(`${stage} observed`, async () => ((await sample(p, 'cr_pipeline_latency_seconds_count', stage)) >= 1 ? true : undefined), 20_000);
      const seconds = await sample(p, 'cr_pipeline_latency_seconds_sum', stage);
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThan(30);
      expect(await sample(p, 'cr_stage_latency_seconds_count', stage)).toBeGreaterThanOrEqual(1);
    }
  }, 90_000);
});
