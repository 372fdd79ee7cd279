import type { FieldValue } from '../types.ts';
import type { CodeMapping, EntityMapping } from './sink-config.ts';
import type { PathEntry } from './write-path.ts';

/**
 * The deterministic mapper: projected fields -> path entries of the target's
 * record (FHIR resource or CRM/REST object). Pure; the same state and mapping
 * always give the same entries, so a content hash of them says "unchanged".
 */
export interface TranslateInput {
  mapping: EntityMapping;
  /** The fields that passed the gates. */
  fields: Record<string, FieldValue>;
  /** Reference field -> the referenced record in the target (e.g. `Patient/123`). */
  references: Readonly<Record<string, string>>;
  /** Code field -> the code the LLM mapper chose; absent: the table decides. */
  codes: Readonly<Record<string, string>>;
}

export interface Translation {
  /** Constants first, then each field with its `also` values. */
  entries: PathEntry[];
  written: string[];
  /** Fields that passed the gates but could not be written, and why. */
  skipped: Record<string, string>;
}

/** Lower case, punctuation to spaces, single spaces: how code tables are keyed. */
export function normaliseText(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/**
 * A code from the table: the exact normalised text, else the longest table entry
 * found in the text as whole words ("Blue Cross Blue Shield of Texas" -> BCBS).
 */
export function codeFromTable(text: string, mapping: CodeMapping): string | undefined {
  const norm = normaliseText(text);
  const table = Object.fromEntries(Object.entries(mapping.table).map(([k, v]) => [normaliseText(k), v]));
  if (table[norm]) return table[norm];
  const padded = ` ${norm} `;
  const hit = Object.keys(table).filter((k) => k && padded.includes(` ${k} `)).sort((a, b) => b.length - a.length)[0];
  return hit ? table[hit] : undefined;
}

/** The codes an LLM may answer with for this mapping. */
export function allowedCodes(mapping: CodeMapping): string[] {
  return mapping.codes ?? [...new Set(Object.values(mapping.table))].sort();
}

export function translate(input: TranslateInput): Translation {
  const { mapping, fields } = input;
  const entries: PathEntry[] = Object.entries(mapping.constants);
  const written: string[] = [];
  const skipped: Record<string, string> = {};
  for (const [name, fm] of Object.entries(mapping.fields)) {
    const f = fields[name];
    if (!f) continue;
    let value: unknown = JSON.parse(f.valueJson);
    if (value === null || value === undefined || value === '') continue;
    if (fm.reference) {
      const ref = input.references[name];
      if (!ref) { skipped[name] = `reference to ${fm.reference} not resolved`; continue; }
      value = ref;
    } else if (fm.code) {
      const text = Array.isArray(value) ? value.join(' ') : String(value);
      const code = input.codes[name] ?? codeFromTable(text, fm.code) ?? fm.code.fallback;
      if (!code) { skipped[name] = 'no code for this text'; continue; }
      value = code;
    } else if (fm.join !== undefined && Array.isArray(value)) {
      value = value.map(String).join(fm.join);
    } else if (fm.list && !Array.isArray(value)) {
      value = [value];
    }
    entries.push([fm.path, value], ...Object.entries(fm.also));
    written.push(name);
  }
  return { entries, written, skipped };
}

/** Required fields of the mapping that are not among those written. */
export function missingRequired(mapping: EntityMapping, written: readonly string[]): string[] {
  return mapping.required.filter((r) => !written.includes(r));
}
