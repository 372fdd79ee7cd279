import { DEFAULT_THRESHOLDS, fieldCategory, thresholdFor, type ThresholdPolicy } from '../review/thresholds.ts';
import type { EntityState, FieldValue, Identifier, SourceRef, Verdict } from '../types.ts';
import { wins } from './conflict.ts';
import { includedEvents, verdictInForce, type AppliedEvent, type ProjectionDoc } from './document.ts';

export interface ProjectionOptions {
  /** Thresholds at or above which a value counts as verified without review. */
  thresholds: ThresholdPolicy;
}

export const DEFAULT_PROJECTION: ProjectionOptions = { thresholds: DEFAULT_THRESHOLDS };

const byKey = <T>(key: (t: T) => string) => (a: T, b: T): number => { const x = key(a); const y = key(b); return x < y ? -1 : x > y ? 1 : 0; };

/** One event's values as candidates, after its verdict in force. */
export function candidatesOf(doc: ProjectionDoc, event: AppliedEvent, options: ProjectionOptions): Record<string, FieldValue> {
  return valuesOf(doc.entityType, event, verdictInForce(doc, event.eventId), options);
}

/** One event's values as candidates under a verdict: upgraded when verified, none when rejected. */
export function valuesOf(entityType: string, event: AppliedEvent, verdict: Verdict | undefined, options: ProjectionOptions): Record<string, FieldValue> {
  if (verdict?.outcome === 'rejected') return {};
  const verified = verdict?.outcome === 'verified';
  const confidence = verified ? Math.max(event.confidence, verdict.confidence) : event.confidence;
  const out: Record<string, FieldValue> = {};
  // Sorted: key order must not depend on how the event was stored (jsonb reorders keys).
  for (const [name, valueJson] of Object.entries(event.attributes).sort(byKey(([k]) => k))) {
    const threshold = thresholdFor(options.thresholds, entityType, fieldCategory(event.category, name));
    out[name] = {
      valueJson, eventId: event.eventId, dataSourceId: event.source.dataSourceId, origin: event.origin,
      confidence, observedAt: event.observedAt, verified: verified || confidence >= threshold,
    };
  }
  return out;
}

/**
 * The entity's state from its document: per field the winning value with its
 * provenance (see `compareCandidates`), the entity's minimum confidence, its
 * source references and identifiers (sorted, so arrival order never shows).
 * Pure: the same document gives the same state.
 */
export function stateOf(doc: ProjectionDoc, options: ProjectionOptions = DEFAULT_PROJECTION): EntityState {
  const events = includedEvents(doc);
  const fields: Record<string, FieldValue> = {};
  const refs = new Map<string, SourceRef>();
  const ids = new Map<string, Identifier>();
  let updatedAt = 0;
  let latest: AppliedEvent | undefined;
  for (const event of events) {
    for (const [name, candidate] of Object.entries(candidatesOf(doc, event, options))) {
      if (wins(candidate, fields[name])) fields[name] = candidate;
    }
    refs.set(event.sourceKey, event.source);
    for (const id of event.identifiers) ids.set(`${id.system}|${id.value}`, id);
    updatedAt = Math.max(updatedAt, event.recordedAt, ...(doc.verdicts[event.eventId] ?? []).map((v) => v.decidedAt));
    if (!latest || event.observedAt > latest.observedAt || (event.observedAt === latest.observedAt && event.eventId > latest.eventId)) latest = event;
  }
  const confidences = Object.values(fields).map((f) => f.confidence);
  return {
    entityId: doc.entityId,
    entityType: doc.entityType,
    version: doc.inputs,
    fields: Object.fromEntries(Object.entries(fields).sort(byKey(([k]) => k))),
    sourceRefs: [...refs.entries()].sort(byKey(([k]) => k)).map(([, r]) => r),
    identifiers: [...ids.entries()].sort(byKey(([k]) => k)).map(([, i]) => i),
    minConfidence: confidences.length ? Math.min(...confidences) : 1,
    eventCount: events.length,
    updatedAt,
    // No member records left (unlinked or merged away), or the latest word was a deletion.
    deleted: events.length === 0 || Boolean(latest?.deleted),
  };
}
