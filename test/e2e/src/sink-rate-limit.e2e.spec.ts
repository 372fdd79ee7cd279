/**
 * A sink limited to 4 writes per second drains a burst of changes at that rate
 * (the EHR sees the creates spaced out, never faster), and its backlog is
 * visible as consumer lag on its own group while it drains.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endRun, type TestRun } from './env.ts';
import { FhirPeer } from './fhir.ts';
import { eventually, sleep, type ServiceProcess } from './processes.ts';
import { byEntity, lagOf, patient, publish, sinkProcess, startRun } from './sink-harness.ts';

const N = 24;
const RATE = 4;
let run: TestRun;
let ehr: FhirPeer;
let sink: ServiceProcess;

beforeAll(async () => {
  run = await startRun('sinkrate');
  ehr = new FhirPeer('fhir-ehr', run.logDir);
  await ehr.start();
  sink = sinkProcess(run, { id: 'slow-ehr', target: { baseUrl: ehr.url }, rateLimit: { writesPerSecond: RATE, burst: 1 }, reconcile: { enabled: false }, flushEvery: 1 });
  await sink.start();
  await sink.ready();
}, 120_000);

afterAll(() => endRun(run, [sink, ehr?.proc]));

describe('a rate-limited sink', () => {
  it('drains at its configured rate, with its lag visible meanwhile', async () => {
    await publish(run.kafka, Array.from({ length: N }, (_, i) => patient(`p-rate-${i}`, i)));
    const lags: number[] = [];
    await eventually('all patients on the EHR', async () => {
      const lag = lagOf(await sink.metrics(), 'sink-slow-ehr');
      if (lag !== undefined) lags.push(lag);
      return (await byEntity(ehr, 'Patient')).byId.size === N ? true : undefined;
    }, 60_000, 250);
    expect(Math.max(...lags)).toBeGreaterThanOrEqual(N / 3); // the backlog showed while draining

    // When each create reached the EHR (its lastUpdated): spaced by the rate limit.
    const created = (await ehr.all('Patient')).map((p) => Date.parse((p.meta as { lastUpdated: string }).lastUpdated)).sort((a, b) => a - b);
    const spanSec = (created.at(-1)! - created[0]!) / 1000;
    const rate = (N - 1) / spanSec;
    expect(rate).toBeLessThanOrEqual(RATE * 1.1);
    expect(rate).toBeGreaterThanOrEqual(RATE * 0.6);
    // Never a run of writes faster than the rate: any 2*RATE+2 consecutive creates span more
    // than two seconds (at 4/s they span 2.5 s; the slack absorbs network jitter).
    const window = 2 * RATE + 2;
    for (let i = window; i < created.length; i++) expect(created[i]! - created[i - window]!, `writes ${i - window}..${i}`).toBeGreaterThan(2_000);
    await sleep(1_500);
    expect(await eventually('lag back to 0', async () => (lagOf(await sink.metrics(), 'sink-slow-ehr') === 0 ? 0 : undefined), 20_000)).toBe(0);
    expect(await sink.metrics()).toMatch(/cr_sink_rate_limit_wait_seconds_total\{[^}]*sink="slow-ehr"[^}]*\} [1-9]/);
  });
});
