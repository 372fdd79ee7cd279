/**
 * Issue #7, the gap scanner end to end: resolution, projection and dispatch
 * (no agent engine: the scanner needs none) as separate processes. Workspace
 * `north` (data source ehr-a) requires insurance of patients with an appointment
 * in the next 30 days; `south` (ehr-b) has the same requirement, scanner off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@cr/kafka';
import type { SurfaceRequest } from '@cr/world-model';
import { DAY, MRN, patientAttributes, startDispatchRun, type DispatchRun } from './dispatch-harness.ts';
import { eventually, sleep } from './processes.ts';

const COOLDOWN_MS = 15_000;
const requirement = { id: 'insurance-before-visit', description: 'patients with upcoming appointments must have insurance information', upcomingAppointmentWithin: '30d', requiredFields: ['insurance.payer', 'insurance.memberId'] };
const config = {
  workspaces: [
    { id: 'north', dataSources: ['ehr-a'], gapScanner: { enabled: true, interval: '250ms', cooldown: COOLDOWN_MS, requirements: [requirement] } },
    { id: 'south', dataSources: ['ehr-b'], gapScanner: { enabled: false, requirements: [requirement] } },
  ],
};
let d: DispatchRun;

const INSURED = { 'insurance.payer': 'Acme Health', 'insurance.memberId': 'XK-55120' };
/** Patient i of `ehr`, with an appointment `inDays` from now (none: no appointment). */
async function patientWithVisit(ehr: string, i: number, extra: Record<string, unknown>, inDays: number | null, status = 'booked'): Promise<void> {
  await d.record(ehr, 'Patient', `p-${i}`, patientAttributes(i, extra), [{ system: MRN, value: `MRN-8${String(i).padStart(4, '0')}` }]);
  if (inDays !== null) await d.record(ehr, 'Appointment', `a-${i}`, { status, start: new Date(Date.now() + inDays * DAY).toISOString(), patient: `Patient/p-${i}` });
}
const surfaces = async (): Promise<SurfaceRequest[]> => (await d.run.kafka.readAll<SurfaceRequest>(TOPICS.surfaceRequests, { timeoutMs: 3_000 })).map((r) => r.value);
async function entityOf(i: number): Promise<string> {
  return eventually(`patient ${i} in dispatch`, async () => {
    const { rows } = await d.db.query<{ entity_id: string }>(`select entity_id from "${d.run.id}".dispatch_entities where entity_type = 'Patient' and $1 = any(ref_keys)`, [`${i >= 60 ? 'ehr-b' : 'ehr-a'}/Patient/p-${i}`]);
    return rows[0]?.entity_id;
  }, 30_000);
}
const scans = async (): Promise<number> => {
  const m = /cr_dispatch_gap_scans_total\{[^}]*workspace="north"[^}]*\} (\d+)/.exec(await d.processes.get('dispatch')!.metrics());
  return Number(m?.[1] ?? 0);
};

beforeAll(async () => {
  d = await startDispatchRun('gaps');
  d.service('resolution');
  d.service('projection');
  d.service('dispatch', 'dispatch', { DISPATCH_CONFIG: JSON.stringify(config) });
  for (const p of d.processes.values()) await p.start();
  await Promise.all([...d.processes.values()].map((p) => p.ready()));
}, 180_000);

afterAll(async () => { await d?.stop(); });

describe('the gap scanner', () => {
  it('surfaces each gap once per cooldown, naming the missing fields; fixes and cancellations count at once', async () => {
    await patientWithVisit('ehr-a', 1, {}, 3);                                              // no insurance: gap
    await patientWithVisit('ehr-a', 2, { 'insurance.payer': 'Acme Health' }, 5);            // member id missing: gap
    await patientWithVisit('ehr-a', 3, INSURED, 2);                                         // complete
    await patientWithVisit('ehr-a', 4, {}, null);                                           // no appointment
    await patientWithVisit('ehr-a', 5, {}, 4, 'cancelled');                                 // appointment cancelled
    await patientWithVisit('ehr-a', 7, {}, 60);                                             // appointment too far out
    await patientWithVisit('ehr-a', 9, {}, 6);                                              // gap, left as it is
    await patientWithVisit('ehr-b', 61, {}, 3);                                             // south: scanner off
    const [p1, p2, p9] = [await entityOf(1), await entityOf(2), await entityOf(9)];
    const quiet = [await entityOf(3), await entityOf(4), await entityOf(5), await entityOf(7), await entityOf(61)];

    const first = await eventually('first surface requests', async () => {
      const s = await surfaces();
      return [p1, p2, p9].every((e) => s.some((x) => x.entityId === e)) ? s : undefined;
    }, 30_000, 250);
    const firstAt = Math.min(...first.map((s) => s.at));
    expect(first.find((s) => s.entityId === p1)).toMatchObject({ entityType: 'Patient', requirement: 'insurance-before-visit', missingFields: ['insurance.payer', 'insurance.memberId'], workspaceId: 'north' });
    expect(first.find((s) => s.entityId === p2)!.missingFields).toEqual(['insurance.memberId']);

    // Within the cooldown: fixes and a cancellation arrive; the scanner keeps scanning but emits nothing more.
    await d.record('ehr-a', 'Patient', 'p-2', { 'insurance.memberId': 'ZZ-10002' });
    await d.record('ehr-a', 'Appointment', 'a-1', { status: 'cancelled' });
    const scansBefore = await scans();
    await sleep(2_500);
    expect(await scans()).toBeGreaterThanOrEqual(scansBefore + 5); // one query every 250 ms
    const during = await surfaces();
    expect(Date.now()).toBeLessThan(firstAt + COOLDOWN_MS);
    for (const e of [p1, p2, p9]) expect(during.filter((s) => s.entityId === e), e).toHaveLength(1);

    // After the cooldown: only the gap still open with a visit still booked is surfaced again, once.
    const again = await eventually('the open gap surfaced again', async () => {
      const s = (await surfaces()).filter((x) => x.entityId === p9);
      return s.length === 2 ? s : undefined;
    }, 20_000, 250);
    expect(again[1]!.at - again[0]!.at).toBeGreaterThanOrEqual(COOLDOWN_MS);
    await sleep(2_000);
    const all = await surfaces();
    expect(all.filter((s) => s.entityId === p1)).toHaveLength(1); // appointment cancelled
    expect(all.filter((s) => s.entityId === p2)).toHaveLength(1); // member id added
    expect(all.filter((s) => s.entityId === p9)).toHaveLength(2);
    for (const e of quiet) expect(all.filter((s) => s.entityId === e), e).toEqual([]);
    process.stdout.write(`[figure] gap scans of north: ${await scans()}, surface requests: ${all.length}\n`);
  }, 120_000);
});
