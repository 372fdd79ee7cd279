/**
 * Issue #4 end to end, every service its own process against the real stack:
 * the same patient arrives from a FHIR server (polled by ingest) and from a CSV
 * file drop (ingest's file_drop connector), spelt differently; unification maps
 * both with the built-in rules, resolution makes them one entity, the projection
 * shows one state from both. An operator's unlink then splits them again, and
 * each side's state is rebuilt from its own events only. A twin sharing birth
 * date, phone and address stays an entity of her own throughout.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@cr/kafka';
import { unlinkRequestMessage, type EntityLinks, type EntityState, type ResolvedEvent } from '@cr/world-model';
import { provision } from '../../../scripts/provision.ts';
import { newRun } from './env.ts';
import { FhirPeer } from './fhir.ts';
import { ServiceProcess, eventually } from './processes.ts';

const testRun = newRun('res');
const { env: baseEnv, logDir, kafka } = testRun;
const drop = mkdtempSync(join(tmpdir(), 'crm-drop-'));
const ehr = new FhirPeer('fhir-ehr', logDir);
const services = new Map<string, ServiceProcess>();
let jonathanKey = '';
let twinKey = '';
const CSV_KEY = 'crm-drop/PatientRow/C-1001';

async function dataSource(id: string, type: string, config: unknown): Promise<void> {
  await kafka.producer().send(TOPICS.connectorConfig, [{ key: id, value: { id, name: id, type, enabled: true, configJson: JSON.stringify(config), revision: 1, updatedAt: Date.now() } }]);
}

/** The latest value per key of a topic. */
async function latest<V>(topic: string): Promise<Map<string, V>> {
  const out = new Map<string, V>();
  for (const r of await kafka.readAll<V>(topic, { timeoutMs: 10_000 })) if (r.key !== null) out.set(r.key, r.value);
  return out;
}

const members = (l: EntityLinks | undefined): string[] => (l?.members.map((m) => m.sourceKey) ?? []).sort();
const value = (s: EntityState | undefined, field: string): unknown => (s?.fields[field] ? JSON.parse(s.fields[field]!.valueJson) : undefined);
const refs = (s: EntityState | undefined): string[] => (s?.sourceRefs ?? []).map((r) => `${r.dataSourceId}/${r.resourceType}/${r.externalId}`).sort();

beforeAll(async () => {
  await ehr.start();
  await provision(baseEnv);
  const jonathan = await ehr.create({
    resourceType: 'Patient', identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5', value: 'MRN-400001' }],
    name: [{ use: 'official', family: 'Smith', given: ['Jonathan'] }], gender: 'male', birthDate: '1982-03-15',
    telecom: [{ system: 'phone', value: '(555) 201-3344' }], address: [{ line: ['12 Oak St'], city: 'Salem', state: 'OR', postalCode: '97301' }],
  });
  const twin = await ehr.create({
    resourceType: 'Patient', identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5', value: 'MRN-400002' }],
    name: [{ use: 'official', family: 'Smith', given: ['Julia'] }], gender: 'female', birthDate: '1982-03-15',
    telecom: [{ system: 'phone', value: '(555) 201-3344' }], address: [{ line: ['12 Oak St'], city: 'Salem', state: 'OR', postalCode: '97301' }],
  });
  jonathanKey = `ehr-a/Patient/${String(jonathan.id)}`;
  twinKey = `ehr-a/Patient/${String(twin.id)}`;
  // The CRM's export: its own column names, a nickname, a misspelt surname, US dates, another phone format.
  writeFileSync(join(drop, 'patients-1.csv'), 'patient_id,first_name,last_name,dob,sex,phone,email,zip\nC-1001,Jon,SMYTH,03/15/1982,M,555.201.3344,jon.smyth@example.com,97301\n');

  for (const name of ['ingest', 'unification', 'resolution', 'projection']) {
    services.set(name, new ServiceProcess(name, [`services/${name}/src/main.ts`], baseEnv, logDir));
  }
  for (const p of services.values()) await p.start();
  await Promise.all([...services.values()].map((p) => p.ready(120_000)));
  await dataSource('ehr-a', 'fhir_store', { baseUrl: ehr.url, resources: [{ type: 'Patient', intervalMs: 500, pageSize: 50 }] });
  await dataSource('crm-drop', 'file_drop', { directory: drop, intervalMs: 500, files: [{ pattern: '*.csv', format: 'csv', resourceType: 'PatientRow', idField: 'patient_id' }] });
}, 300_000);

afterAll(async () => {
  await Promise.all([...services.values()].map((p) => p.kill('SIGTERM')));
  await ehr.proc.kill('SIGTERM');
  rmSync(drop, { recursive: true, force: true });
  if (!process.env.KEEP_TEST_DATA) await testRun.cleanup();
});

describe('entity resolution across a FHIR source and a CSV source', () => {
  let entityId = '';

  it('makes "Jonathan Smith" from the EHR and "Jon SMYTH" from the CSV one entity, and keeps his twin apart', async () => {
    const links = await eventually('one entity with both records', async () => {
      const all = await latest<EntityLinks>(TOPICS.entityLinks);
      return [...all.values()].find((l) => members(l).includes(jonathanKey) && members(l).includes(CSV_KEY));
    }, 180_000, 1_000);
    entityId = links.entityId;
    expect(members(links)).toEqual([CSV_KEY, jonathanKey].sort());
    // Whichever arrived second joined the first by the fuzzy tier, with its score and the features that produced it.
    const joined = links.members.find((m) => m.rule !== 'new-entity')!;
    expect(joined).toMatchObject({ rule: 'fuzzy' });
    expect(joined.score).toBeGreaterThanOrEqual(0.995);
    expect(joined.features).toEqual(expect.arrayContaining(['first:nickname', 'last:typo', 'dob:exact', 'phone:exact']));

    // The twin shares birth date, phone and address, but not the first name: an entity of her own.
    const all = await latest<EntityLinks>(TOPICS.entityLinks);
    const twinEntity = [...all.values()].find((l) => members(l).includes(twinKey));
    expect(twinEntity?.entityId).toBeDefined();
    expect(twinEntity!.entityId).not.toBe(entityId);
    expect(members(twinEntity)).toEqual([twinKey]);

    // The resolved events carry the rule-set version they were mapped with, and the later one its fuzzy link.
    const resolved = (await kafka.readAll<ResolvedEvent>(TOPICS.entityEvents, { timeoutMs: 10_000 })).map((r) => r.value).filter((r) => r.entityId === entityId);
    expect(resolved.find((r) => r.event.source.externalId === 'C-1001')?.event.mappingVersion).toBe('tabular-patient@1');
    expect(resolved.find((r) => r.event.source.dataSourceId === 'ehr-a')?.event.mappingVersion).toBe('fhir-r4-patient@2');
    expect(resolved.some((r) => r.resolution.tier === 2 && r.resolution.rule === 'fuzzy')).toBe(true);

    // One projected state from both sources.
    const state = await eventually('merged state', async () => {
      const s = (await latest<EntityState>(TOPICS.entityState)).get(entityId);
      return refs(s).length === 2 ? s : undefined;
    }, 60_000, 1_000);
    expect(refs(state)).toEqual([CSV_KEY, jonathanKey].sort());
    expect(value(state, 'email')).toBe('jon.smyth@example.com'); // only the CSV has it
    expect(value(state, 'birthDate')).toBe('1982-03-15');
  }, 240_000);

  it('an operator unlink splits them again, and each side\'s state comes from its own events only', async () => {
    expect(entityId).not.toBe('');
    const request = unlinkRequestMessage({ requestId: `op-${Date.now()}`, entityId, entityType: 'Patient', sourceKeys: [CSV_KEY], operator: 'records-team', reason: 'different people', requestedAt: Date.now() });
    await kafka.producer().send(TOPICS.entityLinkRequests, [request]);

    const { ehrSide, csvSide } = await eventually('two entities again', async () => {
      const all = await latest<EntityLinks>(TOPICS.entityLinks);
      const e = all.get(entityId);
      const c = [...all.values()].find((l) => l.entityId !== entityId && members(l).includes(CSV_KEY));
      return e && c && members(e).length === 1 ? { ehrSide: e, csvSide: c } : undefined;
    }, 90_000, 1_000);
    expect(ehrSide).toMatchObject({ change: 'unlink', members: [{ sourceKey: jonathanKey }] });
    expect(csvSide).toMatchObject({ change: 'unlink', members: [{ sourceKey: CSV_KEY }] });

    const states = await eventually('both states rebuilt', async () => {
      const all = await latest<EntityState>(TOPICS.entityState);
      const a = all.get(entityId);
      const b = all.get(csvSide.entityId);
      return refs(a).length === 1 && refs(b).length === 1 ? { a: a!, b: b! } : undefined;
    }, 90_000, 1_000);
    // The EHR side: the EHR's values only (the CSV's email is gone with it).
    expect(refs(states.a)).toEqual([jonathanKey]);
    expect(value(states.a, 'name.given')).toEqual(['Jonathan']);
    expect(value(states.a, 'name.family')).toBe('Smith');
    expect(value(states.a, 'email')).toBeUndefined();
    expect(states.a.deleted).toBe(false);
    // The CSV side: the CSV's values only.
    expect(refs(states.b)).toEqual([CSV_KEY]);
    expect(value(states.b, 'name.given')).toEqual(['Jon']);
    expect(value(states.b, 'name.family')).toBe('SMYTH');
    expect(value(states.b, 'email')).toBe('jon.smyth@example.com');
    expect(value(states.b, 'address.line')).toBeUndefined();

    // The CRM sends the same person again (a new export): the operator's decision stands.
    writeFileSync(join(drop, 'patients-2.csv'), 'patient_id,first_name,last_name,dob,sex,phone,email,zip\nC-1001,Jon,SMYTH,03/15/1982,M,(555) 201-3344,jon.smyth@example.com,97301\n');
    await eventually('the new version resolved', async () => {
      const resolved = (await kafka.readAll<ResolvedEvent>(TOPICS.entityEvents, { timeoutMs: 10_000 })).map((r) => r.value);
      const versions = resolved.filter((r) => r.event.source.externalId === 'C-1001' && r.resolution.rule === 'same-source-record');
      return versions.length ? versions : undefined;
    }, 90_000, 1_000).then((versions) => expect(versions.every((v) => v.entityId === csvSide.entityId)).toBe(true));
  }, 240_000);

  it('logs carry no patient data', () => {
    for (const name of ['unification', 'resolution']) {
      const log = readFileSync(services.get(name)!.logPath, 'utf8');
      expect(log.length, `${name} wrote a log`).toBeGreaterThan(0);
      expect(log, `${name} log`).not.toMatch(/Jonathan|SMYTH|Smyth|Julia|201-3344|2013344|1982-03-15/);
    }
  });
});
