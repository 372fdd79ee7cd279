/**
 * The projection store against real Postgres (a fresh schema): inputs in any
 * order give the same state, a verdict that comes before its event is not lost,
 * and an unlink rebuilds each side from its own events.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '@cr/runtime';
import { DEFAULT_PROJECTION, plainFields, type EntityLinks, type EntityState, type ResolvedEvent, type Verdict } from '@cr/world-model';
import { createProjectionStore, type ProjectionStore, type StoreInput } from './store.ts';

const schema = `proj_${randomUUID().slice(0, 8)}`;
let db: Db;
let store: ProjectionStore;

function event(entityId: string, eventId: string, externalId: string, attributes: Record<string, unknown>, over: Partial<ResolvedEvent['event']> = {}): ResolvedEvent {
  return {
    entityId,
    event: {
      eventId, entityType: 'Patient', source: { dataSourceId: 'ehr', system: 's', resourceType: 'Patient', externalId },
      attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, JSON.stringify(v)])), identifiers: [],
      confidence: 1, origin: 'ehr_sync', observedAt: 1_000, recordedAt: 1_000, mappingVersion: 't@1', causationId: 'r', category: null, deleted: false, ...over,
    },
    resolution: { tier: 1, rule: 'test', score: 1, features: [] },
  };
}
const links = (entityId: string, members: string[], change: string, revision: number): EntityLinks => ({
  entityId, entityType: 'Patient', change, changedBy: 'resolution', reason: null, revision,
  members: members.map((sourceKey) => ({ sourceKey, rule: 'r', score: 1, features: [], linkedAt: 1 })),
});
const last = (states: EntityState[]): EntityState => states.at(-1)!;
/** One input applied on its own (a batch of one), as the service does with a chunk. */
const apply = async (input: StoreInput): Promise<EntityState[]> => (await store.applyBatch([input]))[0] ?? [];
const applyEvent = (resolved: ResolvedEvent): Promise<EntityState[]> => apply({ kind: 'event', resolved });
const applyVerdict = (verdict: Verdict): Promise<EntityState[]> => apply({ kind: 'verdict', verdict });
const applyLinks = (entityId: string, l: EntityLinks | null): Promise<EntityState[]> => apply({ kind: 'links', entityId, links: l });

beforeAll(async () => {
  db = await createDb({ url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema });
  store = await createProjectionStore(db, DEFAULT_PROJECTION);
});
afterAll(async () => {
  await db.raw(`drop schema if exists "${schema}" cascade`);
  await db.destroy();
});

describe('projection store', () => {
  it('applies a verdict that arrived before its event once the event comes, and re-delivery changes nothing', async () => {
    const voice = event('ent-v', 'ev-voice', 'call-1', { 'insurance.memberId': 'XK-123' }, { origin: 'voice', confidence: 0.5, source: { dataSourceId: 'voice', system: 'api', resourceType: 'Patient', externalId: 'call-1' } });
    const verdict: Verdict = { verdictId: 'vd-1', entityId: 'ent-v', eventId: 'ev-voice', outcome: 'verified', confidence: 1, judge: 'deterministic', reason: null, decidedAt: 2_000 };
    expect(await applyVerdict(verdict)).toEqual([]); // nothing to show yet
    const state = last(await applyEvent(voice));
    expect(state.fields['insurance.memberId']).toMatchObject({ verified: true, confidence: 1 });
    expect(last(await applyEvent(voice))).toEqual(state);
    expect(last(await applyVerdict(verdict))).toEqual(state);
  });

  it('rebuilds both sides of an unlink from their own events, verdicts following the moved events', async () => {
    await applyEvent(event('ent-a', 'ev-a', 'a', { 'name.family': 'Alpha', phone: '+15552220001' }));
    await applyEvent(event('ent-a', 'ev-b', 'b', { 'name.family': 'Beta', email: 'b@x.test' }, { observedAt: 2_000 }));
    await applyLinks('ent-a', links('ent-a', ['ehr/Patient/a', 'ehr/Patient/b'], 'merge', 2));
    await applyVerdict({ verdictId: 'vd-b', entityId: 'ent-a', eventId: 'ev-b', outcome: 'verified', confidence: 1, judge: 'operator:op', reason: null, decidedAt: 3_000 });
    const merged = (await db('entity_state').where({ entity_id: 'ent-a' }).first('state')).state as EntityState;
    expect(plainFields(merged)).toEqual({ 'name.family': 'Beta', phone: '+15552220001', email: 'b@x.test' });

    // The operator unlinks b: resolution re-emits b's events keyed to ent-b and sends each side's links.
    const a = last(await applyLinks('ent-a', links('ent-a', ['ehr/Patient/a'], 'unlink', 3)));
    await applyEvent(event('ent-b', 'ev-b', 'b', { 'name.family': 'Beta', email: 'b@x.test' }, { observedAt: 2_000 }));
    const b = last(await applyLinks('ent-b', links('ent-b', ['ehr/Patient/b'], 'unlink', 1)));
    expect(plainFields(a)).toEqual({ 'name.family': 'Alpha', phone: '+15552220001' });
    expect(a.sourceRefs.map((r) => r.externalId)).toEqual(['a']);
    expect(a.version).toBeGreaterThan(merged.version); // the sink sees the change
    expect(plainFields(b)).toEqual({ 'name.family': 'Beta', email: 'b@x.test' });
    expect(b.fields.email!.eventId).toBe('ev-b');
    const verdicts = (await db('projection_verdicts').where({ event_id: 'ev-b' }).count({ n: '*' }).first()) as { n: string };
    expect(Number(verdicts.n)).toBe(1);
    expect((await db('entity_state').where({ entity_id: 'ent-b' }).first('history')).history.some((h: { change: string }) => h.change === 'verified')).toBe(true);
  });

  it('applies a batch in one go: the same states as one by one, each entity published once by its last input, a re-delivered batch changes nothing', async () => {
    const inputs = [
      { kind: 'event' as const, resolved: event('ent-x', 'ev-x1', 'x1', { 'name.family': 'Xeno' }) },
      { kind: 'event' as const, resolved: event('ent-y', 'ev-y1', 'y1', { 'name.family': 'Yann' }) },
      { kind: 'event' as const, resolved: event('ent-x', 'ev-x2', 'x2', { phone: '+15550001111' }, { observedAt: 2_000 }) },
    ];
    const out = await store.applyBatch(inputs);
    expect(out.map((states) => states.map((s) => s.entityId))).toEqual([[], ['ent-y'], ['ent-x']]);
    const x = out[2]![0]!;
    expect(plainFields(x)).toEqual({ 'name.family': 'Xeno', phone: '+15550001111' });
    expect(x.eventCount).toBe(2);

    // The same events one by one in a fresh entity give the same fields.
    await applyEvent(event('ent-z', 'ev-z1', 'x1', { 'name.family': 'Xeno' }));
    const z = last(await applyEvent(event('ent-z', 'ev-z2', 'x2', { phone: '+15550001111' }, { observedAt: 2_000 })));
    expect(plainFields(z)).toEqual(plainFields(x));

    const again = await store.applyBatch(inputs);
    expect(again[2]![0]!.version).toBe(x.version);
    const rows = (await db('projection_event_index').whereIn('entity_id', ['ent-x', 'ent-y']).count({ n: '*' }).first()) as { n: string };
    expect(Number(rows.n)).toBe(3);
  });
});
