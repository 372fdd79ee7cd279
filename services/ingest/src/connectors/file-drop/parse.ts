import { PayloadError } from '@cr/core';
import type { FhirResource } from '@cr/fhir';
import { extractAll, type FileRule } from '@cr/world-model';
import type { Candidate } from '../../records/emitter.ts';
import { fhirCandidate } from '../fhir-store/fhir-reader.ts';
import { parseCsv } from './csv.ts';

export interface ParsedFile {
  records: Candidate[];
  /** Rows that cannot be read: each becomes a dead letter with its file and line (or bundle entry). */
  malformed: { line: number; raw: string; error: PayloadError; entry?: number }[];
}

/** `*` and `?` globs on a file name. */
export function globMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}

function idFrom(value: unknown, path: string | undefined): string | undefined {
  const found = extractAll(value, path ?? 'id')[0];
  return typeof found === 'string' || typeof found === 'number' ? String(found) : undefined;
}

/** Reads one dropped file by its rule; a bad row never stops the rest of the file. */
export function parseDroppedFile(name: string, text: string, rule: FileRule): ParsedFile {
  switch (rule.format) {
    case 'csv': return parseCsvFile(name, text, rule);
    case 'ndjson': return parseNdjson(name, text, rule);
    case 'fhir_bundle': return parseBundle(name, text);
    case 'json': return parseJson(name, text, rule);
  }
}

function parseCsvFile(name: string, text: string, rule: FileRule): ParsedFile {
  const out: ParsedFile = { records: [], malformed: [] };
  const { rows, broken } = parseCsv(text.replace(/^\uFEFF/, ''), rule.delimiter);
  const [header, ...data] = rows;
  for (const b of broken) out.malformed.push({ line: b.line, raw: b.raw, error: new PayloadError(`${name}:${b.line}: ${b.reason}`) });
  if (!header) return out;
  const columns = header.fields.map((c) => c.trim());
  const idColumn = rule.idField ?? (columns.includes('id') ? 'id' : undefined);
  for (const row of data) {
    if (row.fields.length !== columns.length) {
      out.malformed.push({ line: row.line, raw: row.raw, error: new PayloadError(`${name}:${row.line}: expected ${columns.length} fields, found ${row.fields.length}`) });
      continue;
    }
    const payload = Object.fromEntries(columns.map((c, i) => [c, row.fields[i]!]));
    const id = idColumn ? payload[idColumn]?.trim() : `${name}#${row.line}`;
    if (!id) {
      out.malformed.push({ line: row.line, raw: row.raw, error: new PayloadError(`${name}:${row.line}: empty ${idColumn}`) });
      continue;
    }
    out.records.push({ resourceType: rule.resourceType!, externalId: id, payload });
  }
  return out;
}

function parseNdjson(name: string, text: string, rule: FileRule): ParsedFile {
  const out: ParsedFile = { records: [], malformed: [] };
  text.split('\n').forEach((rawLine, idx) => {
    const raw = rawLine.replace(/\r$/, '');
    if (!raw.trim()) return;
    const line = idx + 1;
    let value: unknown;
    try { value = JSON.parse(raw); } catch {
      out.malformed.push({ line, raw, error: new PayloadError(`${name}:${line}: not JSON`) });
      return;
    }
    const r = recordOf(value, rule, `${name}#${line}`);
    if (typeof r === 'string') out.malformed.push({ line, raw, error: new PayloadError(`${name}:${line}: ${r}`) });
    else out.records.push(r);
  });
  return out;
}

/** An object as a candidate: a FHIR resource keeps its own type and id, other records take the rule's. */
function recordOf(value: unknown, rule: FileRule, fallbackId: string): Candidate | string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const obj = value as Record<string, unknown>;
  const resourceType = rule.resourceType ?? (typeof obj.resourceType === 'string' ? obj.resourceType : undefined);
  if (!resourceType) return 'no resourceType';
  if (!rule.resourceType && typeof obj.id === 'string') return fhirCandidate(obj as FhirResource & { id: string });
  const id = idFrom(obj, rule.idField) ?? (rule.idField ? undefined : fallbackId);
  if (!id) return `no ${rule.idField}`;
  return { resourceType, externalId: id, payload: obj };
}

function parseBundle(name: string, text: string): ParsedFile {
  const out: ParsedFile = { records: [], malformed: [] };
  let bundle: { resourceType?: unknown; type?: unknown; entry?: unknown };
  try { bundle = JSON.parse(text.replace(/^\uFEFF/, '')) as typeof bundle; } catch {
    out.malformed.push({ line: 1, raw: text.slice(0, 100_000), error: new PayloadError(`${name}: not JSON`) });
    return out;
  }
  if (bundle?.resourceType !== 'Bundle' || !['batch', 'transaction', 'collection', 'searchset', 'history'].includes(String(bundle.type))) {
    out.malformed.push({ line: 1, raw: text.slice(0, 100_000), error: new PayloadError(`${name}: not a batch, transaction or collection Bundle`) });
    return out;
  }
  const entries = Array.isArray(bundle.entry) ? bundle.entry as { fullUrl?: unknown; resource?: unknown }[] : [];
  entries.forEach((entry, i) => {
    const r = entry?.resource as FhirResource | undefined;
    if (!r || typeof r !== 'object' || typeof r.resourceType !== 'string') {
      out.malformed.push({ line: 1, entry: i, raw: JSON.stringify(entry ?? null), error: new PayloadError(`${name}: entry ${i} has no resource`) });
      return;
    }
    // Transaction entries may carry only a fullUrl (urn:uuid:...) until the server assigns ids.
    const id = typeof r.id === 'string' ? r.id : typeof entry.fullUrl === 'string' ? entry.fullUrl : `${name}#entry${i}`;
    out.records.push(fhirCandidate({ ...r, id } as FhirResource & { id: string }));
  });
  return out;
}

function parseJson(name: string, text: string, rule: FileRule): ParsedFile {
  const out: ParsedFile = { records: [], malformed: [] };
  let doc: unknown;
  try { doc = JSON.parse(text.replace(/^\uFEFF/, '')); } catch {
    out.malformed.push({ line: 1, raw: text.slice(0, 100_000), error: new PayloadError(`${name}: not JSON`) });
    return out;
  }
  const items = rule.itemsPath ? extractAll(doc, rule.itemsPath) : Array.isArray(doc) ? doc : [doc];
  items.forEach((item, i) => {
    const r = recordOf(item, rule, `${name}#${i}`);
    if (typeof r === 'string') out.malformed.push({ line: 1, entry: i, raw: JSON.stringify(item ?? null), error: new PayloadError(`${name}: item ${i}: ${r}`) });
    else out.records.push(r);
  });
  return out;
}
