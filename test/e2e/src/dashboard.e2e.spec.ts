/**
 * The Data Sources dashboard in a real browser (Debian's chromium, driven by
 * playwright-core) against the api as its own process on the real stack. What
 * the page shows is seeded the way the pipeline would: a data source saved
 * through the api, and SourceHealth, SyncResult (one carrying `cr-sensed-at`),
 * Heartbeat, EntityState and ReviewTask records on their topics. The test
 * reads the page as an operator would; a full-page screenshot is kept in
 * test-results/dashboard.png.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startApiProcess } from './api.ts';
import { CHROMIUM, launchChromium, openDashboard as open } from './browser.ts';
import { createTestIssuer, type TestIssuer } from '@cr/auth/testing';
import { SENSED_AT_HEADER, TOPICS, type Producer } from '@cr/kafka';
import type { ReviewTask } from '@cr/world-model';
import type { ApiDeps } from '../../../services/api/src/deps.ts';
import { allRoutes } from '../../../services/api/src/routes/index.ts';
import type { TestRun } from './env.ts';
import { REPO_ROOT, eventually, type ServiceProcess } from './processes.ts';
import { entity, field, publish, startRun } from './sink-harness.ts';

const SCREENSHOT = `${REPO_ROOT}/test-results/dashboard.png`;
const SOURCE = 'ehr-a';
const SINK = 'fhir-b';
const MIN = 60_000;

let run: TestRun;
let issuer: TestIssuer;
let api: ServiceProcess;
let apiPort = 0;
let producer: Producer;
let beats: NodeJS.Timeout | undefined;
let browser: Browser;
let readonly: string;

const base = (): string => `http://127.0.0.1:${apiPort}`;

async function apiGet<T>(path: string): Promise<T> {
  const res = await fetch(`${base()}${path}`, { headers: { authorization: `Bearer ${readonly}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json() as Promise<T>;
}

/** One poll report, as ingest sends it: `emitted` new records, ended `endedAgoMs` ago. */
async function poll(endedAgoMs: number, emitted: number, fetched = emitted + 5): Promise<void> {
  const durationMs = 800;
  await producer.send(TOPICS.sourceHealth, [{
    key: SOURCE,
    value: {
      dataSourceId: SOURCE, resourceType: 'Patient', status: 'healthy', lastPollAt: Date.now() - endedAgoMs - durationMs, durationMs,
      recordCount: fetched, newRecordCount: emitted, errorCount: 0, consecutiveErrors: 0, lastErrorClass: null, lastError: null,
      connectorType: 'fhir_store', cycle: 'incremental', detail: null,
    },
  }]);
}

function syncResult(entityId: string, outcome: string, at: number): Record<string, unknown> {
  return {
    sinkId: SINK, entityId, entityVersion: 1, outcome, reason: null, targetType: 'Patient', targetId: null, targetVersion: null, attempt: 1, at,
    reasonCode: null, heldFields: {}, dependsOn: null, trigger: 'realtime', steps: [],
  };
}

/** Every pipeline service beats while the test runs, so each stage has running loops. */
async function beat(): Promise<void> {
  const at = Date.now();
  const services = ['ingest', 'unification', 'resolution', 'review', 'projection'];
  await producer.send(TOPICS.heartbeats, services.map((service) => ({
    key: `${service}/dash-1/main`, value: { instanceId: 'dash-1', service, loop: 'main', state: 'running', at },
  })));
}

function openDashboard(token: string | undefined, query = ''): Promise<Page> {
  return open(browser, apiPort, token, query);
}

const cell = (page: Page, row: string, col: number): Promise<string> => page.locator(`${row} td`).nth(col).innerText();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`bash scripts/ensure-chromium.sh\` (make install does)`);
  run = await startRun('dashboard');
  issuer = await createTestIssuer();
  readonly = await issuer.token({ sub: 'dash-operator', roles: ['readonly'] });
  ({ port: apiPort, process: api } = await startApiProcess(run, issuer, { HEARTBEAT_INTERVAL_MS: '2000', API_LIVE_CACHE_MS: '500' }));

  const admin = await issuer.headers(['admin'], 'dash-admin');
  const put = await fetch(`${base()}/v1/data-sources/${SOURCE}`, {
    method: 'PUT', headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'EHR A', type: 'fhir_store', config: { baseUrl: 'http://127.0.0.1:9/fhir', resources: [{ type: 'Patient', intervalMs: 5 * MIN }] } }),
  });
  expect(put.status).toBe(202);

  producer = run.kafka.producer();
  await producer.connect();
  await beat();
  beats = setInterval(() => { beat().catch(() => undefined); }, 1_000);

  // Polls 3 h and 30 min ago; the latest one goes out just before the page opens.
  await poll(3 * 60 * MIN, 20);
  await poll(30 * MIN, 5);

  // Sink fhir-b: two writes (sensed 1.5 s and 0.9 s before), one unchanged, one failed.
  const now = Date.now();
  await producer.send(TOPICS.sinkResults, [
    { key: `${SINK}/ent-1`, value: syncResult('ent-1', 'written', now - 20_000), headers: { [SENSED_AT_HEADER]: String(now - 21_500) } },
    { key: `${SINK}/ent-2`, value: syncResult('ent-2', 'written', now - 10_000), headers: { [SENSED_AT_HEADER]: String(now - 10_900) } },
    { key: `${SINK}/ent-3`, value: syncResult('ent-3', 'unchanged', now - 9_000) },
    { key: `${SINK}/ent-4`, value: syncResult('ent-4', 'failed', now - 8_000) },
  ]);
  // Three entity states the sink's group (sink-fhir-b) has not read: a lag of 3.
  await publish(run.kafka, ['ent-1', 'ent-2', 'ent-3'].map((id) => entity(id, 'Patient', { 'name.family': field('Doe') })));

  const task: ReviewTask = {
    taskId: 'task-dash-1', entityId: 'ent-1', entityType: 'Patient', eventIds: ['evt-1'], reason: 'low confidence', status: 'open',
    createdAt: now - 5 * MIN, evidence: [], judge: null, updatedAt: null, decidedBy: null,
  };
  await producer.send(TOPICS.reviewTasks, [{ key: task.taskId, value: task }]);

  await eventually('the api to have read the seeded records', async () => {
    const [sources, sinks, review, latency] = await Promise.all([
      apiGet<{ sources: { dataSourceId: string; rates: { last24h: number } }[] }>('/v1/pipeline/sources'),
      apiGet<{ sinks: { sinkId: string; outcomes: { failed: number }; lag: number | null }[] }>('/v1/pipeline/sinks'),
      apiGet<{ open: number }>('/v1/pipeline/review'),
      apiGet<{ overall: { count: number } }>('/v1/pipeline/latency'),
    ]);
    const sink = sinks.sinks.find((s) => s.sinkId === SINK);
    const ok = sources.sources.find((s) => s.dataSourceId === SOURCE)?.rates.last24h === 25 && sink?.outcomes.failed === 1 && sink.lag === 3
      && review.open === 1 && latency.overall.count === 2;
    return ok ? true : undefined;
  }, 60_000, 500);

  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  clearInterval(beats);
  await browser?.close();
  await producer?.disconnect();
  await api?.kill('SIGTERM');
  if (run && !process.env.KEEP_TEST_DATA) await run.cleanup();
});

describe('the dashboard page', () => {
  it('is served without a token, from the api itself, under a strict content security policy', async () => {
    const page = await fetch(`${base()}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<script type="module" src="/dashboard/dashboard.js">');

    const script = await fetch(`${base()}/dashboard/dashboard.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('no-cache');
    const etag = script.headers.get('etag')!;
    expect((await fetch(`${base()}/dashboard/dashboard.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${base()}/dashboard/dashboard.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${base()}/dashboard/main.ts`)).status).toBe(404);
    expect((await fetch(`${base()}/dashboard/..%2Fmain.ts`)).status).toBe(404);

    // The data stays behind the token, and nothing but the page's own files is public.
    expect((await fetch(`${base()}/v1/pipeline/status`)).status).toBe(401);
    const open = allRoutes({} as ApiDeps).filter((r) => r.public).map((r) => `${r.method} ${r.path}`);
    expect(open).toEqual(['GET /dashboard', 'GET /dashboard/:asset']);
  });

  it('shows an operator the pipeline, the sources with freshness and throughput, the sinks, the review queue and the latency', async () => {
    await poll(2_000, 7);
    await eventually('the latest poll in the api', async () => {
      const { sources } = await apiGet<{ sources: { dataSourceId: string; rates: { last24h: number } }[] }>('/v1/pipeline/sources');
      return sources.find((s) => s.dataSourceId === SOURCE)?.rates.last24h === 32 ? true : undefined;
    }, 30_000, 250);
    const status = await apiGet<{ stages: { stage: string; status: string }[] }>('/v1/pipeline/status');

    const page = await openDashboard(readonly, '?refresh=2');
    const row = page.locator(`#sources tbody tr[data-source-id="${SOURCE}"]`);
    await row.waitFor();
    // The token left the address bar (and so the history) for the tab's sessionStorage.
    expect(page.url()).toBe(`${base()}/dashboard?refresh=2`);
    expect(await page.evaluate(() => sessionStorage.getItem('cr.dashboard.token'))).toBe(readonly);

    // Pipeline summary: three stages in order, each coloured by the api's verdict, with a count.
    const stages = page.locator('#stages li');
    expect(await stages.locator('.name').allInnerTexts()).toEqual(['Source systems', 'Normalise & map', 'World model']);
    for (const [i, stage] of ['source', 'normalise', 'world_model'].entries()) {
      expect(await stages.nth(i).getAttribute('data-status'), stage).toBe(status.stages.find((s) => s.stage === stage)!.status);
    }
    expect(await stages.nth(1).getAttribute('data-status')).toBe('ok'); // unification beats
    expect(await stages.nth(0).locator('.count').innerText()).toBe('1');
    expect(await page.locator('#metric-sources').innerText()).toBe('1');
    expect(await page.locator('#metric-healthy').innerText()).toBe('1 of 1');

    // The source: status, cadence, freshness from the last ingested record, and throughput 7 / 12 / 32.
    const r = `#sources tbody tr[data-source-id="${SOURCE}"]`;
    expect(await cell(page, r, 0)).toBe('EHR A');
    expect(await cell(page, r, 1)).toBe('fhir_store');
    expect(await cell(page, r, 2)).toBe('healthy');
    expect(await cell(page, r, 3)).toBe('every 5 min');
    expect(await cell(page, r, 4)).toBe('fresh');
    expect([await cell(page, r, 5), await cell(page, r, 6), await cell(page, r, 7)]).toEqual(['7', '12', '32']);

    // The sink: lag from its consumer group, and its outcomes.
    const s = `#sinks tbody tr[data-sink-id="${SINK}"]`;
    expect(await page.locator(`${s} td[data-field="lag"]`).innerText()).toBe('3');
    expect(await page.locator(`${s} td[data-field="written"]`).innerText()).toBe('2');
    expect(await page.locator(`${s} td[data-field="unchanged"]`).innerText()).toBe('1');
    expect(await page.locator(`${s} td[data-field="failed"]`).innerText()).toBe('1');
    expect(await page.locator('#sinks-note').isHidden()).toBe(true);

    expect(await page.locator('#review-open').innerText()).toBe('1');
    expect(await page.locator('#metric-review').innerText()).toBe('1');

    // The sparkline: this hour's point, and count and median under it (writes sensed 1.5 s and 0.9 s before).
    expect(await page.locator('#latency-chart circle.median').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#latency-caption').innerText()).toMatch(/^2 actions · median 1\.\d s · p95 1\.\d s$/);

    expect(await page.locator('#banner').isHidden()).toBe(true);
    expect(await page.locator('#error').isHidden()).toBe(true);

    // Clicking the source opens its poll history, newest first.
    await row.click();
    const history = page.locator('#history-table tbody tr');
    await expect.poll(() => history.count(), { timeout: 10_000 }).toBe(3);
    expect(await page.locator('#history-title').innerText()).toBe('Poll history: EHR A');
    expect(await history.nth(0).locator('td').nth(1).innerText()).toBe('Patient');
    expect(await history.locator('td:nth-child(7)').allInnerTexts()).toEqual(['7', '5', '20']);
    expect(await row.getAttribute('aria-selected')).toBe('true');

    // Auto-refresh (every 2 s here): a new poll shows up without a reload.
    await poll(500, 4);
    await expect.poll(() => cell(page, r, 5), { timeout: 15_000 }).toBe('11');
    await expect.poll(() => history.count(), { timeout: 10_000 }).toBe(4);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    await page.close();
  });

  it('says when the token is refused or missing, and takes a pasted one', async () => {
    const foreign = await (await createTestIssuer()).token({ roles: ['readonly'] });
    const refused = await openDashboard(foreign);
    await refused.locator('#error').waitFor();
    expect(await refused.locator('#error').innerText()).toMatch(/^Token refused \(401\)/);
    expect(await refused.locator('#sources tbody tr').count()).toBe(0);
    await refused.close();

    const agent = await openDashboard(await issuer.token({ roles: ['agent'] }));
    await agent.locator('#error').waitFor();
    expect(await agent.locator('#error').innerText()).toMatch(/^Token refused \(403\)/);
    await agent.close();

    const page = await openDashboard(undefined);
    await page.locator('#error').waitFor();
    expect(await page.locator('#error').innerText()).toMatch(/^No token/);
    await page.locator('#token-input').fill(readonly);
    await page.locator('#token-form button[type="submit"]').click();
    await page.locator(`#sources tbody tr[data-source-id="${SOURCE}"]`).waitFor();
    expect(await page.locator('#error').isHidden()).toBe(true);
    expect(await page.locator('#token-input').inputValue()).toBe('');
    await page.close();
  });
});
