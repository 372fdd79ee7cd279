/**
 * Ingest's per-source gauges on its real /metrics, after real polls of a FHIR R4
 * server on loopback: last success (every answered poll), last ingest (only
 * cycles that brought something new), the circuit breaker of a source whose peer
 * is down, and the sensed-at header on every raw record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFhirServer, type FhirServer } from '@cr/fhir-test-server';
import { eventually, freePort, sleep } from '@cr/e2e';
import { SENSED_AT_HEADER, TOPICS } from '@cr/kafka';
import { startIngest, type IngestHarness } from './harness.ts';

let fhir: FhirServer;
let h: IngestHarness;

const resilience = {
  retry: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 200, jitter: 0.2 },
  breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 60_000, timeoutMs: 2_000 },
  rateLimit: { requestsPerSecond: 50, burst: 20 },
  unhealthyAfter: 2,
};

/** The value of `name{data_source="<id>"}` on the service's /metrics, or undefined when absent. */
async function gauge(name: string, dataSource: string): Promise<number | undefined> {
  const text = await h.ingest.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`data_source="${dataSource}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

beforeAll(async () => {
  fhir = await createFhirServer();
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${fhir.url}/Patient`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: `Gauge${i}` }] }) });
    if (r.status !== 201) throw new Error(`create: ${r.status}`);
  }
  h = await startIngest('inggauge');
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await fhir?.close();
});

describe('ingest source gauges (real ingest process, real FHIR server)', () => {
  it('sets last success on every poll and last ingest only when new records came, and heads raw records with sensed-at', async () => {
    const before = Date.now() / 1000;
    await h.configure('ehr', { type: 'fhir_store', config: { baseUrl: fhir.url, resources: [{ type: 'Patient', intervalMs: 300, pageSize: 10 }], resilience } });
    const ingestedAt = await eventually('last ingest set', async () => gauge('cr_source_last_ingest_timestamp_seconds', 'ehr'), 30_000, 250);
    expect(ingestedAt).toBeGreaterThanOrEqual(before);
    expect(ingestedAt).toBeLessThanOrEqual(Date.now() / 1000);
    expect(await gauge('cr_circuit_breaker_open', 'ehr')).toBe(0);

    // Re-polls of unchanged data: success moves on, ingest freshness stays where the data left it.
    const success = await gauge('cr_source_last_success_timestamp_seconds', 'ehr');
    await sleep(1_500);
    const laterSuccess = await eventually('success advances', async () => {
      const v = await gauge('cr_source_last_success_timestamp_seconds', 'ehr');
      return v !== undefined && success !== undefined && v > success + 0.5 ? v : undefined;
    }, 10_000);
    expect(laterSuccess).toBeGreaterThan(ingestedAt);
    expect(await gauge('cr_source_last_ingest_timestamp_seconds', 'ehr')).toBe(ingestedAt);

    const raw = await h.run.kafka.readAll(TOPICS.rawRecords, { until: (rs) => rs.length >= 3, timeoutMs: 10_000 });
    expect(raw.length).toBeGreaterThanOrEqual(3);
    for (const r of raw) {
      const sensedAt = Number(r.headers[SENSED_AT_HEADER]);
      expect(sensedAt / 1000).toBeGreaterThanOrEqual(Math.floor(before));
      expect(sensedAt).toBe((r.value as { ingestedAt: number }).ingestedAt);
    }
  }, 60_000);

  it('a source whose peer is down opens its breaker: the gauge reads 1; removing the source removes its series', async () => {
    const closedPort = await freePort(); // nothing listens there
    await h.configure('down', { type: 'fhir_store', config: { baseUrl: `http://127.0.0.1:${closedPort}/fhir`, resources: [{ type: 'Patient', intervalMs: 300, pageSize: 10 }], resilience } });
    await eventually('breaker open', async () => ((await gauge('cr_circuit_breaker_open', 'down')) === 1 ? true : undefined), 30_000, 250);
    expect(await gauge('cr_source_last_success_timestamp_seconds', 'down')).toBeUndefined();
    expect(await gauge('cr_circuit_breaker_open', 'ehr')).toBe(0);

    const producer = h.run.kafka.producer({ stage: 'test' });
    await producer.send(TOPICS.connectorConfig, [{ key: 'down', value: null }]);
    await producer.disconnect();
    await eventually('series removed', async () => ((await gauge('cr_circuit_breaker_open', 'down')) === undefined ? true : undefined), 20_000, 250);
    expect(await gauge('cr_source_last_success_timestamp_seconds', 'ehr')).toBeGreaterThan(0);
  }, 60_000);
});
