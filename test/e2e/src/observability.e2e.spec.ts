/**
 * The api's pipeline observability endpoints (/v1/pipeline/...), with the api
 * as its own process on the real stack. The pipeline's records are produced as
 * ingest, sink and the services would: data sources saved through the api's own
 * PUT, SourceHealth, SyncResult (with `cr-sensed-at`) and Heartbeat records on
 * their topics. Then what an operator sees is checked: freshness, rates,
 * connection health, sink outcomes, latency, throughput, overall status; that
 * a crash and a full redelivery count nothing twice; and, on a private broker
 * that is killed, that the api keeps answering from its database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '@cr/auth/testing';
import { createLogger } from '@cr/core';
import { catalogue, createKafka, SENSED_AT_HEADER, TOPICS, type KafkaClient, type Producer } from '@cr/kafka';
import { provision } from '../../../scripts/provision.ts';
import { newRun, type TestRun } from './env.ts';
import type { Browser } from 'playwright-core';
import { launchChromium, openDashboard } from './browser.ts';
import { startApiProcess } from './api.ts';
import { startPrivateBroker, type PrivateBroker } from './private-broker.ts';
import { eventually, type ServiceProcess } from './processes.ts';

const MIN = 60_000;
const SINK = 'crm-a';
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are read as JSON */
type Json = any;

interface Api { port: number; process: ServiceProcess; get(path: string): Promise<{ status: number; body: Json }> }

async function startApi(run: { env: NodeJS.ProcessEnv; logDir: string }, issuer: TestIssuer, name = 'api'): Promise<Api> {
  const { port, process } = await startApiProcess(run, issuer, { HEARTBEAT_INTERVAL_MS: '1000', API_LIVE_CACHE_MS: '300', API_LIVE_TIMEOUT_MS: '1500' }, name);
  const token = await issuer.headers(['readonly'], 'watcher');
  return {
    port, process,
    async get(path) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: token });
      return { status: res.status, body: await res.json() as Json };
    },
  };
}

async function putSource(port: number, issuer: TestIssuer, id: string, intervalMs: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/data-sources/${id}`, {
    method: 'PUT',
    headers: { ...await issuer.headers(['admin'], 'admin'), 'content-type': 'application/json' },
    body: JSON.stringify({ name: `Source ${id}`, type: 'fhir_store', config: { baseUrl: 'http://127.0.0.1:1/fhir', resources: [{ type: 'Patient', intervalMs }] } }),
  });
  expect(res.status).toBe(202);
}

/** One poll report as ingest sends it: started `startedAgoMs` ago, took 500 ms. */
function health(id: string, startedAgoMs: number, emitted: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataSourceId: id, resourceType: 'Patient', status: 'healthy', lastPollAt: Date.now() - startedAgoMs, durationMs: 500,
    recordCount: emitted + 2, newRecordCount: emitted, errorCount: 0, consecutiveErrors: 0, lastErrorClass: null, lastError: null,
    connectorType: 'fhir_store', cycle: 'incremental', detail: null, ...over,
  };
}

async function sendHealth(producer: Producer, ...values: Record<string, unknown>[]): Promise<void> {
  for (const value of values) await producer.send(TOPICS.sourceHealth, [{ key: String(value.dataSourceId), value }]);
}

function result(entityId: string, outcome: string, at: number): Record<string, unknown> {
  return {
    sinkId: SINK, entityId, entityVersion: 1, outcome, reason: null, targetType: 'Patient', targetId: null, targetVersion: null, attempt: 1, at,
    reasonCode: null, heldFields: {}, dependsOn: null, trigger: 'realtime', steps: [],
  };
}

const bySource = (body: Json, id: string): Json => body.sources.find((s: Json) => s.dataSourceId === id);

describe('pipeline observability on the shared stack', () => {
  let run: TestRun;
  let issuer: TestIssuer;
  let api: Api;
  let producer: Producer;
  let beats: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    run = newRun('obs');
    await provision(run.env);
    issuer = await createTestIssuer();
    producer = run.kafka.producer();
    await producer.connect();
    api = await startApi(run, issuer);
  }, 120_000);

  afterAll(async () => {
    clearInterval(beats);
    await producer?.disconnect().catch(() => undefined);
    await api?.process.kill('SIGTERM');
    if (run && !process.env.KEEP_TEST_DATA) await run.cleanup();
  });

  it('shows freshness from the last ingested event, rates, connection health, sinks, latency, throughput and status', async () => {
    // Loops beating as the services would (every 500 ms; the api expects 1 s).
    const beat = (): Promise<void> => producer.send(TOPICS.heartbeats, ['ingest/i-1/poll', 'unification/u-1/raw-records', 'projection/p-1/entity-events'].map((key) => {
      const [service, instanceId, loop] = key.split('/') as [string, string, string];
      return { key, value: { service, instanceId, loop, state: 'running', at: Date.now() } };
    }));
    await beat();
    beats = setInterval(() => { void beat().catch(() => undefined); }, 500);

    for (const id of ['ehr-fresh', 'ehr-stale', 'ehr-quiet', 'ehr-never']) await putSource(api.port, issuer, id, 60_000);
    await sendHealth(producer,
      health('ehr-fresh', 2 * MIN + 500, 7), // ended 2 min ago
      health('ehr-fresh', 30_000, 0), //        polled since, nothing new: still fresh from 2 min ago
      health('ehr-stale', 20 * MIN + 500, 3),
      health('ehr-quiet', 3 * 60 * MIN + 500, 4),
      health('ehr-quiet', MIN, 0), //           polled a minute ago, but no data for 3 h: quiet
    );

    const sources = await eventually('four sources listed with their polls', async () => {
      const { body } = await api.get('/v1/pipeline/sources');
      return body.sources?.length === 4 && bySource(body, 'ehr-quiet')?.lastPoll?.emitted === 0 && bySource(body, 'ehr-fresh')?.lastPoll?.emitted === 0 ? body : undefined;
    }, 30_000);
    expect(sources.live.available).toBe(true);
    expect(Object.fromEntries(sources.sources.map((s: Json) => [s.dataSourceId, s.freshness])))
      .toEqual({ 'ehr-fresh': 'fresh', 'ehr-stale': 'stale', 'ehr-quiet': 'quiet', 'ehr-never': 'never' });
    const fresh = bySource(sources, 'ehr-fresh');
    expect(fresh).toMatchObject({ name: 'Source ehr-fresh', type: 'fhir_store', enabled: true, status: 'healthy', cadence: { intervalMs: 60_000, description: 'every 1 min' } });
    expect(Date.now() - Date.parse(fresh.lastIngestedAt)).toBeGreaterThan(2 * MIN - 5_000);
    expect(Date.now() - Date.parse(fresh.lastIngestedAt)).toBeLessThan(2 * MIN + 15_000);
    expect(fresh.rates).toEqual({ perMinute: 0, perHour: 7, last24h: 7 });
    expect(bySource(sources, 'ehr-stale').rates).toEqual({ perMinute: 0, perHour: 3, last24h: 3 });
    expect(bySource(sources, 'ehr-quiet').rates).toEqual({ perMinute: 0, perHour: 0, last24h: 4 });
    expect(bySource(sources, 'ehr-never')).toMatchObject({ status: 'unknown', freshness: 'never', lastPoll: null, lastIngestedAt: null, rates: { perMinute: 0, perHour: 0, last24h: 0 } });
    expect(JSON.stringify(sources)).not.toContain('127.0.0.1:1'); // the config itself is never served

    const healthy = await eventually('status healthy', async () => {
      const { status, body } = await api.get('/v1/pipeline/status');
      expect(status).toBe(200);
      return body.status === 'healthy' ? body : undefined;
    }, 30_000);
    expect(healthy.summary.sources).toEqual({ total: 4, healthy: 3, unhealthy: 0, fresh: 1, stale: 1, quiet: 1, never: 1 });
    // The api's own loops beat too; the ones produced here are the others.
    expect(healthy.loops.filter((l: Json) => l.service !== 'api').map((l: Json) => `${l.service}:${l.state}:${l.stale}`).sort()).toEqual(['ingest:running:false', 'projection:running:false', 'unification:running:false']);
    expect(healthy.stages.map((s: Json) => `${s.stage}:${s.status}`)).toEqual(['source:warning', 'normalise:ok', 'world_model:ok']);

    // Three failed cycles in a row (ingest marks the third unhealthy), then one that works.
    const err = (startedAgoMs: number, n: number): Record<string, unknown> => health('ehr-fresh', startedAgoMs, 0, {
      status: n >= 3 ? 'unhealthy' : 'healthy', errorCount: 1, consecutiveErrors: n, lastErrorClass: 'transport', lastError: `connect ECONNREFUSED (${n})`, recordCount: 0,
    });
    await sendHealth(producer, err(12_000, 1), err(10_000, 2), err(8_000, 3));
    const down = await eventually('ehr-fresh unhealthy', async () => {
      const s = bySource((await api.get('/v1/pipeline/sources')).body, 'ehr-fresh');
      return s.status === 'unhealthy' ? s : undefined;
    }, 30_000);
    expect(down.connection).toMatchObject({ consecutiveErrors: 3, lastErrorClass: 'transport', lastError: 'connect ECONNREFUSED (3)', recoveredAt: null });
    expect(Math.abs(Date.now() - 8_000 - Date.parse(down.connection.unhealthySince))).toBeLessThan(5_000);
    const degraded = await eventually('status degraded', async () => {
      const { body } = await api.get('/v1/pipeline/status');
      return body.status === 'degraded' ? body : undefined;
    }, 15_000);
    expect(degraded.reasons).toEqual(['source ehr-fresh is unhealthy']);
    expect(degraded.summary.sources).toMatchObject({ unhealthy: 1 });
    expect(degraded.stages[0]).toMatchObject({ stage: 'source', status: 'error' });

    await sendHealth(producer, health('ehr-fresh', 4_000, 2));
    const up = await eventually('ehr-fresh recovered', async () => {
      const s = bySource((await api.get('/v1/pipeline/sources')).body, 'ehr-fresh');
      return s.status === 'healthy' ? s : undefined;
    }, 30_000);
    expect(up.connection).toMatchObject({ consecutiveErrors: 0, unhealthySince: null, lastErrorClass: 'transport' });
    expect(Math.abs(Date.now() - 4_000 - Date.parse(up.connection.recoveredAt))).toBeLessThan(5_000);
    expect(up.rates).toMatchObject({ perHour: 9 });
    expect((await api.get('/v1/pipeline/status')).body.status).toBe('healthy');

    const events = (await api.get('/v1/pipeline/sources/ehr-fresh/events?limit=3')).body;
    expect(events.events.map((e: Json) => `${e.status}:${e.emitted}:${e.errorClass}`)).toEqual(['healthy:2:null', 'unhealthy:0:transport', 'healthy:0:transport']);
    expect((await api.get('/v1/pipeline/sources/ehr-nope/events')).status).toBe(404);
    expect((await api.get('/v1/pipeline/sources/ehr-fresh/events?limit=501')).status).toBe(400);

    // Sink outcomes; three writes sensed 1.4, 1.5 and 1.6 s before they were made.
    const now = Date.now();
    await producer.send(TOPICS.sinkResults, [
      ...[1_400, 1_500, 1_600].map((ms, i) => ({ key: `${SINK}/e-${i}`, value: result(`e-${i}`, 'written', now - 1_000 + i), headers: { [SENSED_AT_HEADER]: String(now - 1_000 + i - ms) } })),
      { key: `${SINK}/e-9`, value: result('e-9', 'written', now) }, // no header: counted, no latency
      { key: `${SINK}/e-3`, value: result('e-3', 'unchanged', now) },
      { key: `${SINK}/e-4`, value: result('e-4', 'gated', now) },
      { key: `${SINK}/e-5`, value: result('e-5', 'failed', now) },
    ]);
    const sinks = await eventually('sink outcomes', async () => {
      const { body } = await api.get('/v1/pipeline/sinks');
      return body.sinks?.[0]?.outcomes.written === 4 && body.sinks[0].outcomes.failed === 1 ? body : undefined;
    }, 30_000);
    expect(sinks.sinks).toHaveLength(1);
    expect(sinks.sinks[0]).toMatchObject({
      sinkId: SINK, lag: 0,
      outcomes: { written: 4, unchanged: 1, gated: 1, dependency_failed: 0, failed: 1 },
      last24h: { written: 4, unchanged: 1, gated: 1, dependency_failed: 0, failed: 1 },
      lastWrittenAt: new Date(now).toISOString(),
    });

    const latency = (await api.get('/v1/pipeline/latency?hours=3')).body;
    expect(latency.action).toBe('sink_write');
    expect(latency.hours).toHaveLength(3);
    expect(latency.hours[2]).toMatchObject({ count: 3, medianMs: 1_500 });
    expect(latency.hours[2].p95Ms).toBeGreaterThanOrEqual(1_580);
    expect(latency.hours[0]).toMatchObject({ count: 0, medianMs: null, p95Ms: null });
    expect(latency.overall).toMatchObject({ count: 3, medianMs: 1_500 });

    const minutes = (await api.get('/v1/pipeline/throughput?bucket=minute&points=90')).body;
    expect(minutes.series).toHaveLength(90);
    expect(minutes.series.reduce((n: number, p: Json) => n + p.ingested, 0)).toBe(12); // 7 + 3 + 2 (the 3 h old poll is out of range)
    expect(minutes.series.reduce((n: number, p: Json) => n + p.synced, 0)).toBe(4);
    expect(Date.parse(minutes.series[89].at)).toBe(Math.floor(Date.now() / MIN) * MIN);
    const hours = (await api.get('/v1/pipeline/throughput?bucket=hour')).body;
    expect(hours.series).toHaveLength(24);
    expect(hours.series.reduce((n: number, p: Json) => n + p.ingested, 0)).toBe(16);
    expect((await api.get('/v1/pipeline/throughput?bucket=hour&points=169')).status).toBe(400);

    expect((await api.get('/v1/pipeline/review')).body).toEqual({ open: 0, oldestOpenAt: null, byStatus: {} });
    expect((await api.get('/v1/pipeline/resolution')).body).toMatchObject({ entities: { total: 0 }, sourceRecords: 0 });
  }, 120_000);

  it('counts nothing twice after a crash and a full redelivery', async () => {
    const before = await Promise.all(['/v1/pipeline/sinks', '/v1/pipeline/sources', '/v1/pipeline/latency?hours=2'].map(async (p) => (await api.get(p)).body));
    // More results, and the api killed while it may still be reading them.
    const now = Date.now();
    await producer.send(TOPICS.sinkResults, Array.from({ length: 20 }, (_, i) => ({ key: `${SINK}/m-${i}`, value: result(`m-${i}`, 'unchanged', now) })));
    await api.process.kill('SIGKILL');
    // Its group forgotten: the next start reads every topic again from the beginning.
    await eventually('observability group deleted', async () => { await run.kafka.admin.deleteGroups(['api-observability']); return true; }, 60_000, 1_000);
    api = await startApi(run, issuer, 'api-restarted');
    const sinks = await eventually('all results counted once', async () => {
      const { body } = await api.get('/v1/pipeline/sinks');
      return body.sinks?.[0]?.outcomes.unchanged === 21 ? body : undefined;
    }, 60_000);
    await new Promise((r) => setTimeout(r, 2_000)); // a late duplicate would show by now
    const after = await Promise.all(['/v1/pipeline/sinks', '/v1/pipeline/sources', '/v1/pipeline/latency?hours=2'].map(async (p) => (await api.get(p)).body));
    expect(after[0].sinks[0].outcomes).toEqual({ ...before[0].sinks[0].outcomes, unchanged: 21 });
    expect(sinks.sinks[0].outcomes.written).toBe(4);
    const rates = (b: Json): Json => b.sources.map((s: Json) => [s.dataSourceId, s.rates, s.status, s.freshness, s.connection]);
    expect(rates(after[1])).toEqual(rates(before[1]));
    expect(after[2].overall).toEqual(before[2].overall);
  }, 150_000);
});

describe('when Kafka goes away', () => {
  let broker: PrivateBroker | undefined;
  let kafka: KafkaClient | undefined;
  let shared: TestRun | undefined;
  let run: { id: string; env: NodeJS.ProcessEnv; logDir: string } | undefined;
  let api: Api | undefined;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    await api?.process.kill('SIGTERM');
    await kafka?.disconnect().catch(() => undefined);
    await broker?.kill();
    if (shared && !process.env.KEEP_TEST_DATA) {
      // The topics died with the broker; the subjects (shared registry) and the schema remain.
      await shared.kafka.registry.deleteSubjects(catalogue().map((t) => t.name)).catch(() => undefined);
      await shared.cleanup();
    } else await shared?.kafka.disconnect();
  });

  it('still serves what the database holds, says the live part is missing, and is degraded', async () => {
    broker = await startPrivateBroker();
    shared = newRun('obsdark');
    run = { id: shared.id, logDir: shared.logDir, env: { ...shared.env, KAFKA_BROKERS: broker.brokers } };
    await provision(run.env);
    kafka = createKafka({ brokers: [broker.brokers], registryUrl: run.env.REGISTRY_URL!, clientId: `${run.id}-test`, logger: createLogger({ name: 'e2e', level: 'warn' }), topicPrefix: run.env.TOPIC_PREFIX });
    const producer = kafka.producer();
    await producer.connect();
    const issuer = await createTestIssuer();
    api = await startApi(run, issuer);
    await putSource(api.port, issuer, 'ehr-a', 60_000);
    await putSource(api.port, issuer, 'ehr-b', 300_000);
    await sendHealth(producer, health('ehr-a', MIN, 5), health('ehr-b', 2 * 60 * MIN, 1));
    await producer.send(TOPICS.heartbeats, [{ key: 'ingest/i-1/poll', value: { service: 'ingest', instanceId: 'i-1', loop: 'poll', state: 'running', at: Date.now() } }]);
    await producer.send(TOPICS.sinkResults, [{ key: `${SINK}/e-1`, value: result('e-1', 'written', Date.now()) }]);
    await eventually('sources and sink seen', async () => {
      const [src, snk] = await Promise.all([api!.get('/v1/pipeline/sources'), api!.get('/v1/pipeline/sinks')]);
      return bySource(src.body, 'ehr-b')?.lastPoll && snk.body.sinks?.length === 1 ? true : undefined;
    }, 30_000);
    expect((await api.get('/v1/pipeline/status')).body.live.available).toBe(true);
    await producer.disconnect();

    await broker.kill();

    const status = await eventually('live part reported missing', async () => {
      const res = await api!.get('/v1/pipeline/status');
      expect(res.status).toBe(200);
      return res.body.live.available === false ? res.body : undefined;
    }, 30_000, 500);
    expect(status.status).toBe('degraded');
    expect(status.loops).toBeNull();
    expect(status.live.error).toEqual(expect.any(String));
    expect(status.reasons[0]).toMatch(/^live pipeline data unavailable/);
    expect(status.summary.sources).toMatchObject({ total: 2, fresh: 1, quiet: 1 });

    const started = Date.now();
    const sources = await api.get('/v1/pipeline/sources');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sources.status).toBe(200);
    expect(sources.body.live.available).toBe(false);
    expect(Object.fromEntries(sources.body.sources.map((s: Json) => [s.dataSourceId, s.freshness]))).toEqual({ 'ehr-a': 'fresh', 'ehr-b': 'quiet' });
    const sinks = await api.get('/v1/pipeline/sinks');
    expect(sinks.status).toBe(200);
    expect(sinks.body.sinks[0]).toMatchObject({ sinkId: SINK, lag: null, outcomes: { written: 1 } });
    expect((await api.get('/v1/pipeline/throughput?bucket=hour&points=3')).status).toBe(200);

    // What an operator sees meanwhile: the stored figures, and a banner saying the live part is missing.
    browser = await launchChromium();
    const page = await openDashboard(browser, api.port, await issuer.token({ sub: 'watcher', roles: ['readonly'] }), '?refresh=0');
    await page.locator('#banner').waitFor({ state: 'visible', timeout: 15_000 });
    expect(await page.locator('#banner').innerText()).toMatch(/^Live loop status unavailable; showing stored metrics/);
    expect(await page.locator('#sources tbody tr[data-source-id="ehr-b"]').innerText()).toMatch(/quiet/);
    expect(await page.locator(`#sinks tbody tr[data-sink-id="${SINK}"] td[data-field="lag"]`).innerText()).toBe('—');
    expect(await page.locator('#sinks-note').isVisible()).toBe(true);
  }, 180_000);
});
