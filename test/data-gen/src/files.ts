import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from './generate.ts';
import type { SourceRecord } from './sources.ts';

/** RFC 4180 CSV: fields quoted when they hold a comma, quote or line break. */
export function toCsv(rows: readonly Record<string, string>[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]!);
  const cell = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c] ?? '')).join(','))].join('\n') + '\n';
}

export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  const [header, ...body] = rows;
  return body.filter((r) => r.length > 1 || r[0]).map((r) => Object.fromEntries((header ?? []).map((h, i) => [h, r[i] ?? ''])));
}

/**
 * Writes a dataset as the sources would deliver it, and the truth beside it:
 *   ehr-a.Patient.ndjson, ehr-b.Patient.ndjson   FHIR R4 Patient resources
 *   crm.PatientRow.csv                            the CRM export
 *   truth.csv                                     data_source_id,resource_type,external_id,person_id
 *   manifest.json                                 counts and arrival order
 */
export function writeDataset(dir: string, data: Dataset, meta: Record<string, unknown> = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const bySource = new Map<string, SourceRecord[]>();
  for (const r of data.records) bySource.set(`${r.dataSourceId}.${r.resourceType}`, [...(bySource.get(`${r.dataSourceId}.${r.resourceType}`) ?? []), r]);
  for (const [name, records] of bySource) {
    const csv = records[0]!.sourceType === 'file_drop';
    const file = join(dir, `${name}.${csv ? 'csv' : 'ndjson'}`);
    writeFileSync(file, csv ? toCsv(records.map((r) => r.payload as Record<string, string>)) : records.map((r) => JSON.stringify(r.payload)).join('\n') + '\n');
    written.push(file);
  }
  const truth = join(dir, 'truth.csv');
  writeFileSync(truth, toCsv(data.records.map((r) => ({ data_source_id: r.dataSourceId, resource_type: r.resourceType, external_id: r.externalId, person_id: r.personId }))));
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, JSON.stringify({ ...meta, records: data.records.length, people: data.people.size, counts: data.counts, arrival: data.records.map((r) => `${r.dataSourceId}/${r.resourceType}/${r.externalId}`) }));
  written.push(truth, manifest);
  return written;
}

/** Reads the truth file back: source key -> person id. */
export function readTruth(dir: string): Map<string, string> {
  const rows = parseCsv(readFileSync(join(dir, 'truth.csv'), 'utf8'));
  return new Map(rows.map((r) => [`${r.data_source_id}/${r.resource_type}/${r.external_id}`, r.person_id!]));
}
