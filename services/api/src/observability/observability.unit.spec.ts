import { describe, expect, it } from 'vitest';
import { cadenceOf, humanInterval } from './cadence.ts';
import { nextTransition, sourceConnection, type ResourceHealth } from './connection.ts';
import { freshnessOf } from './freshness.ts';
import { bucketStarts, zeroFilledLatency, zeroFilledThroughput } from './series.ts';
import { pipelineStatus, type LoopView, type StatusInput } from './status.ts';

const NOW = Date.parse('2030-01-01T12:34:56Z');
const MIN = 60_000;

describe('freshness comes from the last ingested event', () => {
  it('is fresh under 5 min, stale from 5 to 60 min, quiet over 60 min, never without data', () => {
    expect(freshnessOf(NOW - 2 * MIN, NOW)).toBe('fresh');
    expect(freshnessOf(NOW - 5 * MIN + 1, NOW)).toBe('fresh');
    expect(freshnessOf(NOW - 5 * MIN, NOW)).toBe('stale');
    expect(freshnessOf(NOW - 20 * MIN, NOW)).toBe('stale');
    expect(freshnessOf(NOW - 60 * MIN, NOW)).toBe('stale');
    expect(freshnessOf(NOW - 60 * MIN - 1, NOW)).toBe('quiet');
    expect(freshnessOf(NOW - 180 * MIN, NOW)).toBe('quiet');
    expect(freshnessOf(null, NOW)).toBe('never');
  });
});

describe('connection health', () => {
  const res = (over: Partial<ResourceHealth>): ResourceHealth => ({
    resourceType: 'Patient', status: 'healthy', consecutiveErrors: 0, lastErrorClass: null, lastError: null, lastErrorAt: null,
    unhealthySince: null, recoveredAt: null, lastPollAt: NOW, lastIngestedAt: null, ...over,
  });

  it('stamps unhealthySince on entering unhealthy and recoveredAt on leaving it; re-applying changes nothing', () => {
    const a = nextTransition(undefined, { status: 'healthy', at: 1 });
    expect(a).toEqual({ unhealthySince: null, recoveredAt: null });
    const b = nextTransition({ status: 'healthy', ...a }, { status: 'unhealthy', at: 10 });
    expect(b).toEqual({ unhealthySince: 10, recoveredAt: null });
    expect(nextTransition({ status: 'unhealthy', ...b }, { status: 'unhealthy', at: 20 })).toEqual(b);
    const c = nextTransition({ status: 'unhealthy', ...b }, { status: 'healthy', at: 30 });
    expect(c).toEqual({ unhealthySince: null, recoveredAt: 30 });
    expect(nextTransition({ status: 'healthy', ...c }, { status: 'healthy', at: 30 })).toEqual(c);
  });

  it('a source is unhealthy while any resource is, showing the latest error', () => {
    expect(sourceConnection([]).status).toBe('unknown');
    const c = sourceConnection([
      res({ resourceType: 'Patient', status: 'unhealthy', consecutiveErrors: 3, lastErrorClass: 'transport', lastError: 'old', lastErrorAt: 5, unhealthySince: 4 }),
      res({ resourceType: 'Encounter', consecutiveErrors: 1, lastErrorClass: 'auth', lastError: 'newer', lastErrorAt: 9, recoveredAt: 2 }),
    ]);
    expect(c).toEqual({ status: 'unhealthy', consecutiveErrors: 3, lastErrorClass: 'auth', lastError: 'newer', unhealthySince: 4, recoveredAt: null });
    expect(sourceConnection([res({ recoveredAt: 7 }), res({ recoveredAt: 8 })])).toMatchObject({ status: 'healthy', recoveredAt: 8, unhealthySince: null });
  });
});

describe('cadence', () => {
  const base = { id: 'ehr-a', name: 'EHR A', enabled: true };
  it('describes polled, webhook and unreadable sources', () => {
    expect(humanInterval(90_000)).toBe('1.5 min');
    expect(cadenceOf({ ...base, type: 'fhir_store', configJson: JSON.stringify({ baseUrl: 'http://x', resources: [{ type: 'Patient', intervalMs: 300_000 }, { type: 'Encounter', intervalMs: 60_000 }] }) }))
      .toEqual({ intervalMs: 60_000, description: 'every 1 min to 5 min' });
    expect(cadenceOf({ ...base, type: 'fhir_store', configJson: JSON.stringify({ baseUrl: 'http://x', resources: [{ type: 'Patient' }] }) }))
      .toEqual({ intervalMs: 60_000, description: 'every 1 min' });
    expect(cadenceOf({ ...base, type: 'webhook', configJson: JSON.stringify({ kind: 'json', json: { resourceType: 'Lead' }, signature: { secretRef: 'env:S' } }) }))
      .toEqual({ intervalMs: null, description: 'webhook' });
    expect(cadenceOf({ ...base, type: 'fhir_store', configJson: '{not json' })).toEqual({ intervalMs: null, description: 'unknown' });
  });
});

describe('series', () => {
  it('zero-fills throughput buckets, oldest first, current bucket last', () => {
    const starts = bucketStarts(NOW, MIN, 3);
    expect(starts.map((s) => new Date(s).toISOString())).toEqual(['2030-01-01T12:32:00.000Z', '2030-01-01T12:33:00.000Z', '2030-01-01T12:34:00.000Z']);
    const series = zeroFilledThroughput(NOW, MIN, 3, new Map([[starts[0]!, 5]]), new Map([[starts[2]!, 2]]));
    expect(series).toEqual([
      { at: '2030-01-01T12:32:00.000Z', ingested: 5, synced: 0 },
      { at: '2030-01-01T12:33:00.000Z', ingested: 0, synced: 0 },
      { at: '2030-01-01T12:34:00.000Z', ingested: 0, synced: 2 },
    ]);
  });

  it('includes hours without writes in the latency series, with null percentiles', () => {
    const hourStart = Date.parse('2030-01-01T11:00:00Z');
    const hours = zeroFilledLatency(NOW, 3, [{ hourStart, count: 2, medianMs: 1500.4, p95Ms: 1900.6 }]);
    expect(hours).toEqual([
      { hour: '2030-01-01T10:00:00.000Z', count: 0, medianMs: null, p95Ms: null },
      { hour: '2030-01-01T11:00:00.000Z', count: 2, medianMs: 1500, p95Ms: 1901 },
      { hour: '2030-01-01T12:00:00.000Z', count: 0, medianMs: null, p95Ms: null },
    ]);
  });
});

describe('overall status', () => {
  const loop = (over: Partial<LoopView>): LoopView => ({ service: 'unification', instanceId: 'u1', loop: 'main', state: 'running', lastBeatAt: new Date(NOW).toISOString(), stale: false, ...over });
  const input = (over: Partial<StatusInput>): StatusInput => ({
    now: NOW, startedAt: NOW - 10 * MIN, heartbeatTimeoutMs: 30_000, caughtUp: true, live: { available: true, error: null },
    sources: [{ dataSourceId: 'ehr-a', enabled: true, status: 'healthy', freshness: 'fresh' }],
    loops: [loop({}), loop({ service: 'ingest', instanceId: 'i1' }), loop({ service: 'projection', instanceId: 'p1' })],
    sinks: [{ sinkId: 'crm', lag: 3 }], sinkLagThreshold: 100, ...over,
  });

  it('is healthy when everything is', () => {
    const v = pipelineStatus(input({}));
    expect(v.status).toBe('healthy');
    expect(v.reasons).toEqual([]);
    expect(v.stages.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
  });

  it('is degraded, naming why, for an unhealthy source, a silent loop, a lagging sink or no live data', () => {
    expect(pipelineStatus(input({ sources: [{ dataSourceId: 'ehr-a', enabled: true, status: 'unhealthy', freshness: 'fresh' }] })))
      .toMatchObject({ status: 'degraded', reasons: ['source ehr-a is unhealthy'], stages: [{ stage: 'source', status: 'error' }, {}, {}] });
    const silent = pipelineStatus(input({ loops: [loop({ stale: true }), loop({ service: 'projection', instanceId: 'p1' })] }));
    expect(silent.status).toBe('degraded');
    expect(silent.reasons[0]).toMatch(/^loop unification\/u1\/main has not reported/);
    expect(silent.stages[1]).toMatchObject({ stage: 'normalise', status: 'error' });
    expect(pipelineStatus(input({ sinks: [{ sinkId: 'crm', lag: 101 }] })).reasons).toEqual(['sink crm lags 101 records']);
    const dark = pipelineStatus(input({ live: { available: false, error: 'no answer' }, loops: null, sinks: [{ sinkId: 'crm', lag: null }], caughtUp: null }));
    expect(dark).toMatchObject({ status: 'degraded', reasons: ['live pipeline data unavailable: no answer'] });
    expect(dark.stages.slice(1).map((s) => s.status)).toEqual(['unknown', 'unknown']);
  });

  it('a disabled unhealthy source or a loop that is stopping is no fault', () => {
    expect(pipelineStatus(input({ sources: [{ dataSourceId: 'ehr-a', enabled: false, status: 'unhealthy', freshness: 'quiet' }] })).status).toBe('healthy');
    expect(pipelineStatus(input({ loops: [loop({ stale: true, state: 'stopping' }), loop({ service: 'ingest' })] })).status).toBe('healthy');
  });

  it('is starting while young without heartbeats, or while catching up', () => {
    expect(pipelineStatus(input({ startedAt: NOW - 5_000, loops: [] })).status).toBe('starting');
    expect(pipelineStatus(input({ startedAt: NOW - 60_000, loops: [] })).status).toBe('healthy');
    expect(pipelineStatus(input({ caughtUp: false })).status).toBe('starting');
  });
});
