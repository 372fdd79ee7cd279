/**
 * The safety nets behind the real-time path, against an EHR (a FHIR server in its
 * own process) and the sink as its own process:
 * - the EHR silently drops 10% of writes (answers 201/200, stores nothing): the
 *   reconciliation loop reads written records back and re-queues the missing ones
 *   until the EHR is complete;
 * - SIGKILL of the sink in the middle of a batch: after a restart every patient
 *   is on the EHR exactly once. The resources are counted on the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endRun, type TestRun } from './env.ts';
import { FhirPeer } from './fhir.ts';
import { eventually, sleep, type ServiceProcess } from './processes.ts';
import { adminCount, byEntity, patient, publish, results, sinkProcess, startRun, stats } from './sink-harness.ts';

const FIRST = 50;
const SECOND = 40;
let run: TestRun;
let ehr: FhirPeer;
let sink: ServiceProcess;

const ids = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `p-rec-${from + i}`);

beforeAll(async () => {
  run = await startRun('sinkrecon');
  ehr = new FhirPeer('fhir-ehr', run.logDir);
  await ehr.start();
  sink = sinkProcess(run, { id: 'ehr', target: { baseUrl: ehr.url }, retry: { initialDelayMs: 200, maxDelayMs: 2_000 }, reconcile: { intervalMs: 1_500 }, flushEvery: 5 });
  await sink.start();
  await sink.ready();
}, 120_000);

afterAll(() => endRun(run, [sink, ehr?.proc]));

describe('reconciliation', () => {
  it('completes an EHR that silently drops 10% of writes', async () => {
    await ehr.faults({ dropWritesRatio: 0.1, dropWritesSeed: 7 });
    await publish(run.kafka, ids(0, FIRST).map((id, i) => patient(id, i)));
    const done = await eventually('every patient on the EHR', async () => {
      const { total, byId } = await byEntity(ehr, 'Patient');
      return byId.size === FIRST ? { total, distinct: byId.size } : undefined;
    }, 120_000, 500);
    expect(done).toEqual({ total: FIRST, distinct: FIRST });
    const dropped = (await stats(ehr)).faultsFired.dropWrite!;
    expect(dropped).toBeGreaterThan(0); // writes really were lost on the way
    const healed = (await results(run.kafka, 'ehr')).filter((r) => r.trigger === 'reconcile' && r.outcome === 'written');
    expect(healed.length).toBeGreaterThanOrEqual(1);
    await ehr.faults(null);
  });

  it('leaves no duplicate resources after a SIGKILL of the sink mid-batch', async () => {
    await ehr.faults({ latencyMs: 120 });
    const before = await adminCount(ehr, 'Patient');
    await publish(run.kafka, ids(FIRST, SECOND).map((id, i) => patient(id, FIRST + i)));
    await eventually('sink mid-batch', async () => ((await adminCount(ehr, 'Patient')) >= before + 8 ? true : undefined), 60_000, 100);
    await sink.kill('SIGKILL');
    const atKill = await adminCount(ehr, 'Patient');
    expect(atKill).toBeLessThan(FIRST + SECOND); // it really was mid-batch
    await ehr.faults(null);
    await sink.start();
    await sink.ready();

    await eventually('every patient on the EHR', async () => ((await byEntity(ehr, 'Patient')).byId.size === FIRST + SECOND ? true : undefined), 120_000, 500);
    await sleep(4_000); // reconciliation passes: any duplicate write would happen now
    const { total, byId } = await byEntity(ehr, 'Patient');
    expect(await adminCount(ehr, 'Patient')).toBe(FIRST + SECOND);
    expect({ total, distinct: byId.size }).toEqual({ total: FIRST + SECOND, distinct: FIRST + SECOND });
    expect([...byId.values()].filter((list) => list.length > 1)).toEqual([]);
  });
});
