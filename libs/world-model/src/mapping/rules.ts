import { extractAll } from './dot-path.ts';
import { applyTransform, type TransformName } from './transforms.ts';
import type { Identifier, Origin, RawRecord, WorldEvent } from '../types.ts';

/** How one attribute is read from the source record. */
export interface FieldRule {
  path: string;
  /** `first` (default) keeps one value, `all` keeps the list. */
  pick?: 'first' | 'all';
  default?: unknown;
  transforms?: TransformName[];
  /** Maps source codes to ours after transforms, e.g. {"M": "male"}. */
  codeMap?: Record<string, string>;
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
  }
  const identifiers = readIdentifiers(payload, ruleSet.identifiers);
  if (Object.keys(attributes).length === 0 && identifiers.length === 0) {
    throw new UnmappableRecord(`rule set ${ruleSet.id}@${ruleSet.version} found no attributes or identifiers`);
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
    mappingVersion: `${ruleSet.id}@${ruleSet.version}`,
    causationId: raw.recordId,
    category: ruleSet.category ?? null,
    deleted: false,
  };
}

function readField(payload: unknown, rule: FieldRule): unknown {
  let values = extractAll(payload, rule.path);
  for (const t of rule.transforms ?? []) values = values.map((v) => applyTransform(t, v));
  if (rule.codeMap) values = values.map((v) => (typeof v === 'string' && rule.codeMap![v] !== undefined ? rule.codeMap![v] : v));
  values = values.filter((v) => v !== '' && v !== null && v !== undefined);
  if (values.length === 0) return rule.default;
  return rule.pick === 'all' ? values : values[0];
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
      for (const t of rule.transforms ?? []) value = applyTransform(t, value);
      if (system && typeof value === 'string' && value.trim()) out.push({ system, value: value.trim() });
    }
  }
  const seen = new Set<string>();
  return out.filter((i) => { const k = `${i.system}|${i.value}`; if (seen.has(k)) return false; seen.add(k); return true; });
}
