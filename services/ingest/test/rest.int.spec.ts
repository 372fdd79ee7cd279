/**
 * rest and crm against a real REST API on loopback: page, offset, cursor and
 * Link-header pagination, incremental `updated_since`, API-key and bearer-token
 * exchange auth (one token per practice), 429s with Retry-After, an auth
 * failure that is not retried blindly, and an SSRF refusal at configuration time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sleep } from '@cr/e2e';
import { createRestApi, type RestApi } from '@cr/test-peers';
import { countByKey, startIngest, type IngestHarness } from './harness.ts';

let api: RestApi;
let h: IngestHarness;
const STYLES = { PageItem: 'page', OffsetItem: 'offset', CursorItem: 'cursor', LinkItem: 'link' } as const;
const incremental = { param: 'updated_since', field: 'updatedAt' };
const fast = { retry: { maxAttempts: 4, initialDelayMs: 50, maxDelayMs: 2_000 }, unhealthyAfter: 2 };

beforeAll(async () => {
  api = await createRestApi({ apiKey: 'k-123', exchangeSecret: 'xs-456', exchangeTtlSec: 120 });
  h = await startIngest('ingrest', { REST_API_KEY: 'k-123', EXCHANGE_SECRET: 'xs-456', INGEST_SSRF_ALLOW: '127.0.0.1' });
  await h.configure('api-styles', { type: 'rest', config: {
    baseUrl: api.url, auth: { type: 'api_key', secretRef: 'env:REST_API_KEY', name: 'x-api-key' }, resilience: fast,
    endpoints: [
      { resourceType: 'PageItem', path: '/api/page/items', intervalMs: 400, pagination: { style: 'page', size: 5 }, updatedSince: incremental },
      { resourceType: 'OffsetItem', path: '/api/offset/items', intervalMs: 400, pagination: { style: 'offset', limit: 5 }, updatedSince: incremental },
      { resourceType: 'CursorItem', path: '/api/cursor/items', intervalMs: 400, pagination: { style: 'cursor', sizeParam: 'limit', size: 5 }, updatedSince: incremental },
      { resourceType: 'LinkItem', path: '/api/link/items', intervalMs: 400, itemsPath: '', pagination: { style: 'link' }, updatedSince: incremental },
    ],
  } });
  await h.configure('api-exchange', { type: 'rest', config: {
    baseUrl: api.url, resilience: fast,
    auth: { type: 'token_exchange', exchangeUrl: `${api.url}/exchange`, secretRef: 'env:EXCHANGE_SECRET', secretHeader: { name: 'x-exchange-secret', template: 'Key {secret}' }, params: ['practice'], tokenField: 'result.token' },
    endpoints: [{ resourceType: 'PracticeItem', path: '/api/cursor/items', intervalMs: 400, pagination: { style: 'cursor', sizeParam: 'limit', size: 4 }, partitions: [{ practice: 'p1' }, { practice: 'p2' }] }],
  } });
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await api?.close();
});

describe('rest', () => {
  it('reads every item once through each pagination style', async () => {
    const records = await h.eventuallyRaw('all styles', (rs) => (Object.keys(STYLES).every((t) => rs.filter((r) => r.resourceType === t).length >= 23) ? rs : undefined));
    for (const type of Object.keys(STYLES)) {
      const of = records.filter((r) => r.resourceType === type);
      expect(of.map((r) => r.externalId).sort(), type).toEqual(api.items.map((i) => i.id).sort());
    }
    expect([...countByKey(records).values()].every((n) => n === 1)).toBe(true);
    expect(Object.keys(api.stats.requests).sort()).toEqual(['cursor', 'link', 'page', 'offset'].sort());
  });

  it('mints one exchanged token per practice, and each token reads only its practice', async () => {
    const records = await h.eventuallyRaw('practice items', (rs) => { const p = rs.filter((r) => r.resourceType === 'PracticeItem'); return p.length >= 23 ? p : undefined; });
    expect(records).toHaveLength(23);
    await sleep(1_500);
    expect(api.stats.mints).toEqual({ p1: 1, p2: 1 });
    expect(api.stats.unauthorized).toBe(0);
  });

  it('polls incrementally: a changed item comes once more per style, nothing else does', async () => {
    const seen = new Set((await h.rawRecords('api-styles')).map((r) => r.recordId));
    const before = seen.size;
    api.upsert({ id: 'it-007', name: 'Renamed', practice: 'p2' });
    const after = await h.eventuallyRaw('the change in every style', (rs) => { const s = rs.filter((r) => r.dataSourceId === 'api-styles'); return s.length >= before + 4 ? s : undefined; });
    await sleep(1_500);
    expect((await h.rawRecords('api-styles')).length).toBe(before + 4);
    const fresh = after.filter((r) => !seen.has(r.recordId));
    expect(fresh.map((r) => r.resourceType).sort()).toEqual(Object.keys(STYLES).sort());
    expect(fresh.every((r) => r.externalId === 'it-007' && JSON.parse(r.payload).name === 'Renamed')).toBe(true);
    const health = await h.health('api-styles');
    expect(health.some((x) => x.cycle === 'incremental')).toBe(true);
  });

  it('waits out 429s with Retry-After and loses nothing', async () => {
    const before = (await h.rawRecords('api-styles')).length;
    api.throttle(6, '1');
    api.upsert({ id: 'it-100', name: 'New', practice: 'p1' });
    await h.eventuallyRaw('new item in every style', (rs) => (rs.filter((r) => r.dataSourceId === 'api-styles').length === before + 4 ? true : undefined), 30_000);
    expect(api.stats.throttled).toBe(6);
  });

  it('does not retry an auth failure blindly, and reports it in source health', async () => {
    await h.configure('api-badkey', { type: 'rest', config: { baseUrl: api.url, auth: { type: 'bearer', secretRef: 'env:REST_API_KEY' }, resilience: fast,
      endpoints: [{ resourceType: 'PageItem', path: '/api/page/items', intervalMs: 500, pagination: { style: 'page', size: 5 } }] } });
    const unauthorized = api.stats.unauthorized;
    const bad = await eventually('auth failure in health', async () => (await h.health('api-badkey')).find((x) => x.status === 'unhealthy'), 30_000, 1_000);
    expect(bad.lastErrorClass).toBe('auth');
    const cycles = (await h.health('api-badkey')).length;
    // One request per cycle: the 401 was not retried with the same credential.
    expect(api.stats.unauthorized - unauthorized).toBeLessThanOrEqual(cycles + 1);
  });

  it('refuses an exchange URL on a link-local address when the configuration is applied', async () => {
    await h.configure('api-ssrf', { type: 'rest', config: { baseUrl: api.url,
      auth: { type: 'token_exchange', exchangeUrl: 'http://169.254.169.254/latest/token', secretRef: 'env:EXCHANGE_SECRET', params: ['practice'] },
      endpoints: [{ resourceType: 'PageItem', path: '/api/page/items' }] } });
    const dead = await eventually('refusal', async () => (await h.run.kafka.readAllRaw('ingest.dead-letter.v1', { timeoutMs: 5_000 })).find((d) => d.key?.toString() === 'api-ssrf'), 30_000, 1_000);
    expect(dead.headers['dlq.error.message']).toContain('config.auth.exchangeUrl');
    expect(await h.health('api-ssrf')).toEqual([]);
  });
});

describe('crm', () => {
  it('polls contacts and companies through the REST machinery, each object on its own cadence', async () => {
    await h.configure('crm', { type: 'crm', config: {
      baseUrl: `${api.url}/api`, auth: { type: 'api_key', secretRef: 'env:REST_API_KEY' }, itemsPath: 'data', idField: 'id',
      pagination: { style: 'cursor', cursorParam: 'cursor', cursorPath: 'next_cursor', sizeParam: 'limit', size: 10 },
      updatedSince: { param: 'updated_since', field: 'updatedAt' },
      objects: [{ type: 'contacts', path: '/cursor/items', intervalMs: 300 }, { type: 'companies', path: '/cursor/items', intervalMs: 3_000 }],
    } });
    const records = await h.eventuallyRaw('crm objects', (rs) => { const c = rs.filter((r) => r.dataSourceId === 'crm'); return c.length >= api.items.length * 2 ? c : undefined; });
    for (const type of ['CrmContact', 'CrmCompany']) expect(records.filter((r) => r.resourceType === type).map((r) => r.externalId).sort()).toEqual(api.items.map((i) => i.id).sort());
    await sleep(2_000);
    const health = await h.health('crm');
    expect(health.filter((x) => x.resourceType === 'CrmContact').length).toBeGreaterThan(health.filter((x) => x.resourceType === 'CrmCompany').length * 2);
    expect(health.every((x) => x.connectorType === 'crm' && x.status === 'healthy')).toBe(true);
  });
});
