import { extractAll } from './dot-path.ts';
import { applyTransform, type TransformName } from './transforms.ts';
import type { Identifier, Origin, RawRecord, WorldEvent } from '../types.ts';

/** How one attribute is read from the source record. */
export interface FieldRule {
  /** A dot path, or several tried in order until one yields a value. */
  path: string | string[];
  /** `first` (default) keeps one value, `all` keeps the list. */
  pick?: 'first' | 'all';
  /** Used when the source has no value (after transforms). */
  default?: unknown;
  transforms?: TransformName[];
  /** Maps source codes to ours after transforms, e.g. {"M": "male"}. */
  codeMap?: Record<string, string>;
  /** Prepended to every string value after transforms, e.g. `PatientRow/` for a row id used as a reference. */
  prefix?: string;
  /** Joins the picked values into one string (after transforms and code maps). */
  join?: string;
  /** The record is unmappable without this field. */
  required?: boolean;
}

export interface IdentifierRule {
  /** Path to a list of {system, value} objects, or to a bare value with `system` set. */
  path: string;
  system?: string;
  transforms?: TransformName[];
}

export interface RuleSet {
  id: string;
  version: string;
  resourceType: string;
  entityType: string;
  origin: Origin;
  confidence: number;
  category?: string;
  fields: Record<string, FieldRule>;
  identifiers: IdentifierRule[];
}

export interface MapContext {
  recordedAt: number;
  eventId: (raw: RawRecord, ruleSet: RuleSet) => string;
}

/** Why a record could not be mapped; the stage sends it to dead letters. */
export class UnmappableRecord extends Error {
  override readonly name = 'UnmappableRecord';
}

/** `<rule-set id>@<version>`: what every event carries as its mapping version. */
export function mappingVersion(ruleSet: Pick<RuleSet, 'id' | 'version'>): string {
  return `${ruleSet.id}@${ruleSet.version}`;
}

/**
 * Maps one raw record to a world event with a rule set. Pure: same record and
 * rules give the same event. Throws UnmappableRecord with the reason.
 */
export function mapRecord(raw: RawRecord, payload: unknown, ruleSet: RuleSet, ctx: MapContext): WorldEvent {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new UnmappableRecord('payload is not a JSON object');
  const attributes: Record<string, string> = {};
  for (const [name, rule] of Object.entries(ruleSet.fields)) {
    const value = readField(payload, rule);
    if (value !== undefined) attributes[name] = JSON.stringify(value);
    else if (rule.required) throw new UnmappableRecord(`rule set ${mappingVersion(ruleSet)}: required field ${name} has no value`);
  }
  const identifiers = readIdentifiers(payload, ruleSet.identifiers);
  if (Object.keys(attributes).length === 0 && identifiers.length === 0) {
    throw new UnmappableRecord(`rule set ${mappingVersion(ruleSet)} found no attributes or identifiers`);
  }
  return {
    eventId: ctx.eventId(raw, ruleSet),
    entityType: ruleSet.entityType,
    source: { dataSourceId: raw.dataSourceId, system: raw.system, resourceType: raw.resourceType, externalId: raw.externalId },
    attributes,
    identifiers,
    confidence: ruleSet.confidence,
    origin: ruleSet.origin,
    observedAt: raw.observedAt,
    recordedAt: ctx.recordedAt,
    mappingVersion: mappingVersion(ruleSet),
    causationId: raw.recordId,
    category: ruleSet.category ?? null,
    deleted: false,
  };
}

const isEmpty = (v: unknown): boolean => v === '' || v === null || v === undefined || (Array.isArray(v) && v.length === 0);

function readField(payload: unknown, rule: FieldRule): unknown {
  const paths = Array.isArray(rule.path) ? rule.path : [rule.path];
  for (const path of paths) {
    let values = extractAll(payload, path);
    for (const t of rule.transforms ?? []) values = values.map((v) => applyTransform(t, v));
    if (rule.codeMap) {
      const map = rule.codeMap;
      values = values.map((v) => (typeof v === 'string' && Object.hasOwn(map, v) ? map[v] : v));
    }
    values = values.filter((v) => !isEmpty(v));
    if (values.length === 0) continue;
    if (rule.prefix) values = values.map((v) => (typeof v === 'string' ? rule.prefix + v : v));
    if (rule.join !== undefined) return values.map(String).join(rule.join);
    return rule.pick === 'all' ? values : values[0];
  }
  return rule.default;
}

function readIdentifiers(payload: unknown, rules: IdentifierRule[]): Identifier[] {
  const out: Identifier[] = [];
  for (const rule of rules) {
    for (const found of extractAll(payload, rule.path)) {
      let system = rule.system;
      let value: unknown = found;
      if (found && typeof found === 'object') {
        const f = found as Record<string, unknown>;
        system = rule.system ?? (typeof f.system === 'string' ? f.system : undefined);
        value = f.value;
      }
      if (typeof value === 'number') value = String(value);
      for (const t of rule.transforms ?? []) value = applyTransform(t, value);
      if (system && typeof value === 'string' && value.trim()) out.push({ system, value: value.trim() });
    }
  }
  const seen = new Set<string>();
  return out.filter((i) => { const k = `${i.system}|${i.value}`; if (seen.has(k)) return false; seen.add(k); return true; });
}
