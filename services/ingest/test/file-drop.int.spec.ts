/**
 * file_drop against a real folder: CSV, NDJSON, FHIR Bundles and raw JSON; each
 * file processed once and moved or marked; malformed rows to dead letters with
 * file and line while the rest of the file goes on; a re-dropped file emits nothing new.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sleep } from '@cr/e2e';
import { countByKey, startIngest, type IngestHarness } from './harness.ts';

let h: IngestHarness;
let dir: string;
let marked: string;

const CSV = [
  'mrn,family,given,birthDate',
  'MRN-1,Lovelace,Ada,1815-12-10',
  'MRN-2,"Hopper, ""Amazing""",Grace,1906-12-09',
  'MRN-3,Turing,Alan',
  'MRN-4,"Dijkstra",Edsger,1930-05-11',
  '',
  'MRN-5,Liskov,Barbara,1939-11-07',
].join('\r\n');

/** Writes next to the folder, then renames in: a watcher never sees half a file. */
async function drop(folder: string, name: string, text: string): Promise<void> {
  await writeFile(join(folder, `.${name}.tmp`), text);
  const { rename } = await import('node:fs/promises');
  await rename(join(folder, `.${name}.tmp`), join(folder, name));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cr-drop-'));
  marked = await mkdtemp(join(tmpdir(), 'cr-drop-mark-'));
  h = await startIngest('ingfile');
  await h.configure('drop', { type: 'file_drop', config: {
    directory: dir, intervalMs: 300,
    files: [
      { pattern: '*.csv', format: 'csv', resourceType: 'PatientRow', idField: 'mrn' },
      { pattern: '*.ndjson', format: 'ndjson' },
      { pattern: 'bundle-*.json', format: 'fhir_bundle' },
      { pattern: 'export-*.json', format: 'json', resourceType: 'CrmContact', itemsPath: 'data.items', idField: 'contactId' },
    ],
  } });
  await h.configure('drop-mark', { type: 'file_drop', config: { directory: marked, intervalMs: 300, after: 'mark', files: [{ pattern: '*.csv', format: 'csv', resourceType: 'PatientRow' }] } });
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(marked, { recursive: true, force: true });
});

describe('file_drop', () => {
  it('turns each CSV row into a raw record and dead-letters the malformed row with its file and line', async () => {
    await drop(dir, 'patients.csv', CSV);
    const rows = await h.eventuallyRaw('csv rows', (rs) => { const r = rs.filter((x) => x.resourceType === 'PatientRow'); return r.length >= 4 ? r : undefined; });
    expect(rows.map((r) => r.externalId).sort()).toEqual(['MRN-1', 'MRN-2', 'MRN-4', 'MRN-5']);
    expect(JSON.parse(rows.find((r) => r.externalId === 'MRN-2')!.payload)).toEqual({ mrn: 'MRN-2', family: 'Hopper, "Amazing"', given: 'Grace', birthDate: '1906-12-09' });
    const dead = await eventually('dead letter', async () => { const d = await h.deadLetters('drop'); return d.length ? d : undefined; });
    expect(dead).toHaveLength(1);
    expect(dead[0]!.headers).toMatchObject({ 'dlq.source.file': 'patients.csv', 'dlq.source.line': '4', 'dlq.error.class': 'payload', 'dlq.stage': 'ingest' });
    expect(dead[0]!.value?.toString()).toBe('MRN-3,Turing,Alan');
    await eventually('file moved', async () => ((await readdir(join(dir, '.processed'))).includes('patients.csv') ? true : undefined), 10_000);
    expect(await readdir(dir)).not.toContain('patients.csv');
  });

  it('reads NDJSON, FHIR Bundles (transaction and collection) and raw JSON', async () => {
    await drop(dir, 'obs.ndjson', [
      JSON.stringify({ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'bp' } }),
      '{"resourceType": "Observation", "id": "o2", ',
      JSON.stringify({ resourceType: 'Observation', id: 'o3', status: 'final', code: { text: 'hr' } }),
    ].join('\n'));
    await drop(dir, 'bundle-tx.json', JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Patient', name: [{ family: 'Tx' }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Practitioner', id: 'pr1' }, request: { method: 'PUT', url: 'Practitioner/pr1' } },
      { request: { method: 'DELETE', url: 'Patient/gone' } },
    ] }));
    await drop(dir, 'bundle-col.json', JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Location', id: 'loc1', name: 'Ward' } }] }));
    await drop(dir, 'export-1.json', JSON.stringify({ data: { items: [{ contactId: 'c1', email: 'x' }, { contactId: 'c2' }, { email: 'no id' }] } }));
    const all = await h.eventuallyRaw('other formats', (rs) => (rs.length >= 4 + 2 + 2 + 1 + 2 ? rs : undefined));
    const keys = [...countByKey(all.filter((r) => r.dataSourceId === 'drop')).keys()].sort();
    expect(keys).toEqual(['CrmContact/c1', 'CrmContact/c2', 'Location/loc1', 'Observation/o1', 'Observation/o3', 'Patient/urn:uuid:1', 'PatientRow/MRN-1', 'PatientRow/MRN-2', 'PatientRow/MRN-4', 'PatientRow/MRN-5', 'Practitioner/pr1']);
    const dead = await eventually('dead letters', async () => { const d = await h.deadLetters('drop'); return d.length >= 4 ? d : undefined; });
    const where = dead.map((d) => `${d.headers['dlq.source.file']}:${d.headers['dlq.source.line']}${d.headers['dlq.source.entry'] ? `#${d.headers['dlq.source.entry']}` : ''}`).sort();
    expect(where).toEqual(['bundle-tx.json:1#2', 'export-1.json:1#2', 'obs.ndjson:2', 'patients.csv:4']);
  });

  it('processes a re-dropped file again without emitting anything new', async () => {
    const before = (await h.rawRecords('drop')).length;
    await drop(dir, 'patients.csv', CSV);
    await eventually('moved again', async () => ((await readdir(dir)).includes('patients.csv') ? undefined : true), 10_000);
    await sleep(1_000);
    expect((await h.rawRecords('drop')).length).toBe(before);
    const health = (await h.health('drop')).filter((x) => x.cycle === 'file');
    expect(health.every((x) => x.status === 'healthy')).toBe(true);
  });

  it('marks processed files instead of moving them when asked, and reads each once', async () => {
    await drop(marked, 'a.csv', 'id,name\n1,x\n2,y\n');
    await h.eventuallyRaw('marked rows', (rs) => (rs.filter((r) => r.dataSourceId === 'drop-mark').length === 2 ? true : undefined));
    await eventually('marked', async () => ((await readdir(marked)).includes('a.csv.done') ? true : undefined), 10_000);
    await sleep(1_000);
    expect((await h.rawRecords('drop-mark')).map((r) => r.externalId).sort()).toEqual(['1', '2']);
    expect(await readdir(marked)).toContain('a.csv');
  });
});
