/**
 * The resolution store against the real Postgres: batches, merges, operator
 * unlinks, re-delivery, and a rebuild from the same events giving the same entities.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '@cr/runtime';
import { sourceKey, type EntityLinks, type ResolvedEvent, type WorldEvent } from '@cr/world-model';
import { createResolutionStore, entityIdFor, UnlinkNotApplicable, type ResolutionStore } from './store.ts';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
const dbs: Db[] = [];

async function freshStore(): Promise<{ store: ResolutionStore; db: Db }> {
  const schema = `res_int_${Date.now().toString(36)}_${schemas.length}`;
  schemas.push(schema);
  const db = await createDb({ url, schema, poolMax: 2 });
  dbs.push(db);
  return { store: await createResolutionStore(db), db };
}

afterAll(async () => {
  for (const [i, db] of dbs.entries()) {
    await db.raw(`drop schema if exists "${schemas[i]}" cascade`);
    await db.destroy();
  }
});

let n = 0;
function patient(source: string, id: string, attrs: Record<string, unknown>, ids: Array<[string, string]> = []): WorldEvent {
  n++;
  return {
    eventId: `ev-${source}-${id}-${n}`, entityType: 'Patient',
    source: { dataSourceId: source, system: `sys-${source}`, resourceType: 'Patient', externalId: id },
    attributes: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, JSON.stringify(v)])),
    identifiers: ids.map(([system, value]) => ({ system, value })),
    confidence: 1, origin: 'ehr_sync', observedAt: n, recordedAt: n, mappingVersion: 'm@1', causationId: `raw-${n}`, category: null, deleted: false,
  };
}

const jane = { 'name.given': ['Jane'], 'name.family': 'Smith', birthDate: '1982-03-15', phone: '+15552013344', 'address.postalCode': '02139' };
const ella = { ...jane, 'name.given': ['Ella'] }; // her twin: same birth date, phone, address
const resolvedOf = (outs: { resolved: ResolvedEvent[] }[]): ResolvedEvent[] => outs.flatMap((o) => o.resolved);
const linksOf = (outs: { links: EntityLinks[] }[]): EntityLinks[] => outs.flatMap((o) => o.links);

describe('resolution store (Postgres)', () => {
  let store: ResolutionStore;
  const ehr = patient('ehr', 'p1', jane, [['urn:mrn', '42']]);
  const twin = patient('ehr', 'p2', ella, [['urn:mrn', '43']]);
  const crm = patient('crm', 'c9', { ...jane, 'name.given': ['J.'], 'name.family': 'Smyth', birthDate: '1982-03-15', phone: '+15552013344' });

  beforeAll(async () => { ({ store } = await freshStore()); });

  it('links the same patient across sources in one batch, keeps the twin apart, and publishes the links', async () => {
    const { outputs, stats } = await store.resolveBatch([ehr, twin, crm]);
    const [a, b, c] = outputs.map((o) => o.resolved[0]!);
    expect(a!.entityId).toBe(entityIdFor('Patient', 'ehr/Patient/p1'));
    expect(b!.entityId).not.toBe(a!.entityId);
    expect(c!.entityId).toBe(a!.entityId);
    expect(c!.resolution).toMatchObject({ tier: 2, rule: 'fuzzy' });
    expect(c!.resolution.features).toEqual(expect.arrayContaining(['first:initial', 'last:typo', 'dob:exact', 'phone:exact']));
    expect(stats).toMatchObject({ newEntities: 2, links: { fuzzy: 1 } });
    // The entity's links once per batch, with every member.
    const links = linksOf(outputs).filter((l) => l.entityId === a!.entityId);
    expect(links).toHaveLength(1);
    expect(links[0]!.members.map((m) => m.sourceKey)).toEqual(['ehr/Patient/p1', 'crm/Patient/c9']);
    expect(links[0]!.members[1]).toMatchObject({ rule: 'fuzzy', features: expect.arrayContaining(['dob:exact']) });
  });

  it('re-delivered events change nothing and come out the same', async () => {
    const again = await store.resolveBatch([ehr, twin, crm]);
    expect(resolvedOf(again.outputs).map((r) => r.entityId)).toEqual([entityIdFor('Patient', 'ehr/Patient/p1'), entityIdFor('Patient', 'ehr/Patient/p2'), entityIdFor('Patient', 'ehr/Patient/p1')]);
    expect(again.stats).toEqual({ newEntities: 0, links: {}, merges: 0 });
  });

  it('a new version of a record stays in its entity', async () => {
    const update = { ...ehr, eventId: 'ev-ehr-p1-v2', attributes: { ...ehr.attributes, phone: '"+15559990000"' } };
    const { outputs } = await store.resolveBatch([update]);
    expect(outputs[0]!.resolved[0]).toMatchObject({ entityId: entityIdFor('Patient', 'ehr/Patient/p1'), resolution: { rule: 'same-source-record' } });
    expect(outputs[0]!.links).toEqual([]);
  });

  it('an operator unlink splits the entity; each side gets its own events and links, and they never re-link', async () => {
    const entityId = entityIdFor('Patient', 'ehr/Patient/p1');
    const out = await store.unlink({ requestId: 'u1', entityId, entityType: 'Patient', sourceKeys: ['crm/Patient/c9'], operator: 'alice', reason: 'not her', requestedAt: 100 });
    const crmEntity = entityIdFor('Patient', 'crm/Patient/c9');
    expect(out.links.map((l) => [l.entityId, l.members.map((m) => m.sourceKey), l.change])).toEqual([
      [entityId, ['ehr/Patient/p1'], 'unlink'],
      [crmEntity, ['crm/Patient/c9'], 'unlink'],
    ]);
    expect(out.resolved.map((r) => [r.entityId, sourceKey(r.event.source)])).toEqual([[crmEntity, 'crm/Patient/c9']]);
    // Re-delivery of the request: same answer, nothing more changes.
    const again = await store.unlink({ requestId: 'u1', entityId, entityType: 'Patient', sourceKeys: ['crm/Patient/c9'], operator: 'alice', reason: 'not her', requestedAt: 100 });
    expect(again.links.map((l) => l.members.length)).toEqual([1, 1]);
    // The CRM record's next version does not go back.
    const next = await store.resolveBatch([{ ...crm, eventId: 'ev-crm-c9-v2' }]);
    expect(next.outputs[0]!.resolved[0]!.entityId).toBe(crmEntity);
    await expect(store.unlink({ requestId: 'u2', entityId, entityType: 'Patient', sourceKeys: ['nowhere/Patient/1'], operator: 'alice', reason: '', requestedAt: 101 })).rejects.toThrow(UnlinkNotApplicable);
  });

  it('a record that ties two entities by exact identifiers merges them and re-publishes the absorbed events', async () => {
    const { store: s } = await freshStore();
    const a = patient('ehr', 'a1', jane, [['urn:mrn', '77']]);
    const b = patient('crm', 'b1', { 'name.given': ['Janie'], 'name.family': 'Smith-Jones' }, [['urn:crm', 'k5']]);
    await s.resolveBatch([a]);
    await s.resolveBatch([b]);
    const bridge = patient('portal', 'x1', { 'name.given': ['Jane'] }, [['urn:mrn', '77'], ['urn:crm', 'k5']]);
    const { outputs, stats } = await s.resolveBatch([bridge]);
    const survivor = entityIdFor('Patient', 'ehr/Patient/a1');
    const absorbed = entityIdFor('Patient', 'crm/Patient/b1');
    expect(stats.merges).toBe(1);
    expect(resolvedOf(outputs).map((r) => [r.entityId, sourceKey(r.event.source)])).toEqual([[survivor, 'portal/Patient/x1'], [survivor, 'crm/Patient/b1']]);
    const links = linksOf(outputs);
    expect(links.find((l) => l.entityId === survivor)).toMatchObject({ change: 'merge', members: [{ sourceKey: 'ehr/Patient/a1' }, { sourceKey: 'crm/Patient/b1' }, { sourceKey: 'portal/Patient/x1' }] });
    expect(links.find((l) => l.entityId === absorbed)).toMatchObject({ change: 'merge', members: [], reason: `merged into ${survivor}` });
  });

  it('rebuilt from the same events, in batches of any size, it gives the same entities', async () => {
    const events = [
      patient('ehr', 'r1', jane, [['urn:mrn', '1']]), patient('ehr', 'r2', ella, [['urn:mrn', '2']]),
      patient('crm', 'r3', { ...jane, 'name.given': ['Jane'], 'name.family': 'Smyth' }), patient('crm', 'r4', { ...ella, email: 'ella@x.org' }),
      patient('portal', 'r5', { 'name.given': ['Ella'], 'name.family': 'Smith', email: 'ella@x.org', birthDate: '1982-03-15' }),
    ];
    const keys = events.map((e) => sourceKey(e.source));
    const { store: one } = await freshStore();
    await one.resolveBatch(events);
    const { store: other } = await freshStore();
    for (const e of events) await other.resolveBatch([e]);
    expect(await other.entityOf(keys)).toEqual(await one.entityOf(keys));
    expect(new Set((await one.entityOf(keys)).values()).size).toBe(2);
  });
});
