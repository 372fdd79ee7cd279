import type { EntityState, FieldValue } from '../types.ts';
import type { EntityMapping } from './sink-config.ts';

/** A reference field of an entity and what it points at (an entity id, or `Type/externalId`). */
export interface DependencyRef {
  field: string;
  entityType: string;
  ref: string;
  /** Required fields make the whole write depend on it; optional ones are left out when unresolved. */
  required: boolean;
}

export type DependencyCheck = { ok: true } | { ok: false; reason: string };

/** The references among the fields that passed the gates. */
export function dependenciesOf(mapping: EntityMapping, fields: Record<string, FieldValue>): DependencyRef[] {
  const out: DependencyRef[] = [];
  for (const [field, fm] of Object.entries(mapping.fields)) {
    const f = fields[field];
    if (!fm.reference || !f) continue;
    const value = JSON.parse(f.valueJson) as unknown;
    if (typeof value !== 'string' || !value) continue;
    out.push({ field, entityType: fm.reference, ref: value, required: mapping.required.includes(field) });
  }
  return out;
}

/**
 * Confidence-aware dependency check: the entity depended on must be known, not
 * deleted, and its identifying fields (the mapping's `required`, or every field
 * when it has none) present, verified and at or above the threshold. A dependency
 * below the threshold fails; it is not left pending. Where its values came from
 * does not matter here (existence, not write-back).
 */
export function dependencyCheck(dep: EntityState | undefined, depMapping: EntityMapping | undefined, threshold: number): DependencyCheck {
  if (!dep) return { ok: false, reason: 'not known to this sink' };
  if (dep.deleted) return { ok: false, reason: `${dep.entityType} ${dep.entityId} is deleted` };
  const names = depMapping?.required.length ? depMapping.required : Object.keys(dep.fields);
  if (names.length === 0) return { ok: false, reason: `${dep.entityType} ${dep.entityId} has no fields` };
  for (const name of names) {
    const f = dep.fields[name];
    if (!f) return { ok: false, reason: `${dep.entityType} ${dep.entityId} lacks ${name}` };
    if (f.confidence < threshold) return { ok: false, reason: `${dep.entityType} ${dep.entityId} ${name} confidence ${f.confidence} below threshold ${threshold}` };
    if (!f.verified) return { ok: false, reason: `${dep.entityType} ${dep.entityId} ${name} is unverified` };
  }
  return { ok: true };
}

/** The record's id in the target when the entity was read from it (one of the sink's own data sources). */
export function ownTargetId(state: EntityState, ownDataSourceIds: readonly string[], recordType: string): string | undefined {
  return state.sourceRefs.find((r) => ownDataSourceIds.includes(r.dataSourceId) && r.resourceType === recordType)?.externalId;
}

/** Keys under which an entity can be referenced: `Type/externalId` of each source record. */
export function referenceKeys(state: EntityState): string[] {
  return [...new Set(state.sourceRefs.map((r) => `${r.resourceType}/${r.externalId}`))];
}
