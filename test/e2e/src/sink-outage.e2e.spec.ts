/**
 * Two sinks, each its own process and consumer group, each writing to its own
 * EHR (a FHIR server in its own process). One EHR goes down for a while (every
 * request answered 503 with Retry-After): that sink's lag grows and it writes
 * nothing, the other stays current; when the EHR is back the sink catches up,
 * and every patient is there exactly once, at its latest content, with no write
 * repeated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endRun, type TestRun } from './env.ts';
import { FhirPeer } from './fhir.ts';
import { eventually, sleep, type ServiceProcess } from './processes.ts';
import { adminCount, byEntity, field, lagOf, patient, publish, sinkProcess, startRun } from './sink-harness.ts';

const N = 24;
const UPDATED = 6;
let run: TestRun;
let ehrB: FhirPeer;
let ehrC: FhirPeer;
let sinkB: ServiceProcess;
let sinkC: ServiceProcess;

const ids = Array.from({ length: N }, (_, i) => `p-out-${i}`);
const phoneV2 = (i: number): string => `+1555${String(2_000_000 + i).slice(-7)}`;

/** Patients on a peer: count, distinct entities, and each one's phone and versionId. */
async function snapshot(peer: FhirPeer): Promise<{ total: number; distinct: number; phone: Map<string, string>; version: Map<string, string> }> {
  const { total, byId } = await byEntity(peer, 'Patient');
  const phone = new Map<string, string>();
  const version = new Map<string, string>();
  for (const [id, [r]] of byId) {
    phone.set(id, ((r!.telecom ?? []) as { value: string }[])[0]?.value ?? '');
    version.set(id, (r!.meta as { versionId: string }).versionId);
  }
  return { total, distinct: byId.size, phone, version };
}

beforeAll(async () => {
  run = await startRun('sinkoutage');
  ehrB = new FhirPeer('fhir-b', run.logDir);
  ehrC = new FhirPeer('fhir-c', run.logDir);
  await Promise.all([ehrB.start(), ehrC.start()]);
  const common = { retry: { initialDelayMs: 200, maxDelayMs: 2_000 }, reconcile: { intervalMs: 3_000 }, flushEvery: 1 };
  sinkB = sinkProcess(run, { id: 'ehr-b', target: { baseUrl: ehrB.url }, ...common });
  sinkC = sinkProcess(run, { id: 'ehr-c', target: { baseUrl: ehrC.url }, ...common });
  await Promise.all([sinkB.start(), sinkC.start()]);
  await Promise.all([sinkB.ready(), sinkC.ready()]);
}, 120_000);

afterAll(() => endRun(run, [sinkB, sinkC, ehrB?.proc, ehrC?.proc]));

describe('a sink whose EHR is down', () => {
  it('blocks no other sink, and catches up with no loss and no duplicate once the EHR is back', async () => {
    await ehrC.faults({ status503: { count: 1_000_000, retryAfter: '1' } });
    await publish(run.kafka, ids.map((id, i) => patient(id, i)));

    // B is current while C is down; C's lag is visible.
    await eventually('all patients on B', async () => ((await snapshot(ehrB)).distinct === N ? true : undefined), 60_000, 300);
    const lagC = await eventually('sink-ehr-c lag', async () => {
      const lag = lagOf(await sinkC.metrics(), 'sink-ehr-c');
      return lag !== undefined && lag > 0 ? lag : undefined;
    }, 30_000);
    expect(lagC).toBeGreaterThan(0);
    expect(await eventually('sink-ehr-b lag 0', async () => (lagOf(await sinkB.metrics(), 'sink-ehr-b') === 0 ? 0 : undefined), 30_000)).toBe(0);
    expect(await adminCount(ehrC, 'Patient')).toBe(0);

    // Changes made during the outage reach B at once.
    await publish(run.kafka, ids.slice(0, UPDATED).map((id, i) => patient(id, i, { phone: field(phoneV2(i)) }, 2)));
    await eventually('updates on B', async () => {
      const b = await snapshot(ehrB);
      return ids.slice(0, UPDATED).every((id, i) => b.phone.get(id) === phoneV2(i)) ? true : undefined;
    }, 60_000, 300);
    await sleep(2_000);
    expect(await adminCount(ehrC, 'Patient')).toBe(0);

    // C is back: it catches up.
    await ehrC.faults(null);
    await eventually('all patients on C', async () => {
      const c = await snapshot(ehrC);
      return c.distinct === N && ids.slice(0, UPDATED).every((id, i) => c.phone.get(id) === phoneV2(i)) ? true : undefined;
    }, 90_000, 500);
    await sleep(4_000); // a reconciliation pass or two: any duplicate or extra write would show now

    for (const peer of [ehrB, ehrC]) {
      const s = await snapshot(peer);
      expect({ total: s.total, distinct: s.distinct }).toEqual({ total: N, distinct: N });
      ids.forEach((id, i) => expect(s.phone.get(id), `${peer.proc.name} ${id}`).toBe(i < UPDATED ? phoneV2(i) : patient(id, i).fields.phone!.valueJson.replace(/"/g, '')));
      // One create per patient, plus at most the one update a change needs: no write repeated.
      for (const [id, v] of s.version) expect(Number(v), `${peer.proc.name} ${id} versionId`).toBeLessThanOrEqual(ids.indexOf(id) < UPDATED ? 2 : 1);
    }
    expect(lagOf(await sinkC.metrics(), 'sink-ehr-c')).toBe(0);
  });
});
