import type { EntityState } from '@cr/world-model';

const iso = (ms: number): string => new Date(ms).toISOString();

/** An entity as the api shows it: plain values, and per field where it came from and how sure we are. */
export function entityView(s: EntityState) {
  return {
    entityId: s.entityId,
    entityType: s.entityType,
    version: s.version,
    fields: Object.fromEntries(Object.entries(s.fields).map(([k, f]) => [k, JSON.parse(f.valueJson) as unknown])),
    provenance: Object.fromEntries(Object.entries(s.fields).map(([k, f]) => [k, {
      eventId: f.eventId, dataSourceId: f.dataSourceId, origin: f.origin, confidence: f.confidence, observedAt: iso(f.observedAt), verified: f.verified,
    }])),
    minConfidence: s.minConfidence,
    sourceRefs: s.sourceRefs,
    identifiers: s.identifiers,
    eventCount: s.eventCount,
    updatedAt: iso(s.updatedAt),
    deleted: s.deleted,
  };
}
