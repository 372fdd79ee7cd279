import { DEFAULT_VERIFIED_THRESHOLD } from '../confidence.ts';
import { sourceKey, type EntityState, type FieldValue, type ResolvedEvent, type Verdict } from '../types.ts';

export type ProjectionInput =
  | { kind: 'event'; resolved: ResolvedEvent }
  | { kind: 'verdict'; verdict: Verdict };

export interface ProjectionOptions {
  verifiedThreshold: number;
}

export const DEFAULT_PROJECTION: ProjectionOptions = { verifiedThreshold: DEFAULT_VERIFIED_THRESHOLD };

export function initialState(entityId: string, entityType: string): EntityState {
  return {
    entityId, entityType, version: 0, fields: {}, sourceRefs: [], identifiers: [],
    minConfidence: 1, eventCount: 0, updatedAt: 0, deleted: false,
  };
}

/**
 * Does `candidate` win over `current` for one field?
 * Highest confidence wins; among equals the later observation wins; a stale read
 * (older observedAt) never overrides a newer value of equal or higher confidence.
 * Ties on both keep the current value, so replays are stable.
 */
export function wins(candidate: FieldValue, current: FieldValue | undefined): boolean {
  if (!current) return true;
  if (candidate.confidence !== current.confidence) return candidate.confidence > current.confidence;
  return candidate.observedAt > current.observedAt;
}

/** The projection: entity state from its events. Pure; never mutates its inputs. */
export function evolve(state: EntityState | null, input: ProjectionInput, options: ProjectionOptions = DEFAULT_PROJECTION): EntityState {
  if (input.kind === 'event') return applyEvent(state, input.resolved, options);
  return applyVerdict(state, input.verdict, options);
}

function applyEvent(state: EntityState | null, resolved: ResolvedEvent, options: ProjectionOptions): EntityState {
  const { event } = resolved;
  const base = state ?? initialState(resolved.entityId, event.entityType);
  const fields = { ...base.fields };
  for (const [name, valueJson] of Object.entries(event.attributes)) {
    const candidate: FieldValue = {
      valueJson, eventId: event.eventId, dataSourceId: event.source.dataSourceId, origin: event.origin,
      confidence: event.confidence, observedAt: event.observedAt, verified: event.confidence >= options.verifiedThreshold,
    };
    if (wins(candidate, fields[name])) fields[name] = candidate;
  }
  const refKey = sourceKey(event.source);
  const sourceRefs = base.sourceRefs.some((r) => sourceKey(r) === refKey) ? base.sourceRefs : [...base.sourceRefs, event.source];
  const idKeys = new Set(base.identifiers.map((i) => `${i.system}|${i.value}`));
  const identifiers = [...base.identifiers, ...event.identifiers.filter((i) => !idKeys.has(`${i.system}|${i.value}`))];
  return finish({
    ...base, fields, sourceRefs, identifiers,
    eventCount: base.eventCount + 1,
    updatedAt: Math.max(base.updatedAt, event.recordedAt),
  });
}

function applyVerdict(state: EntityState | null, verdict: Verdict, _options: ProjectionOptions): EntityState {
  const base = state ?? initialState(verdict.entityId, 'Unknown');
  if (verdict.outcome !== 'verified') return base;
  const fields: Record<string, FieldValue> = {};
  for (const [name, field] of Object.entries(base.fields)) {
    fields[name] = field.eventId === verdict.eventId
      ? { ...field, verified: true, confidence: Math.max(field.confidence, verdict.confidence) }
      : field;
  }
  return finish({ ...base, fields, updatedAt: Math.max(base.updatedAt, verdict.decidedAt) });
}

function finish(state: EntityState): EntityState {
  const confidences = Object.values(state.fields).map((f) => f.confidence);
  return { ...state, version: state.version + 1, minConfidence: confidences.length ? Math.min(...confidences) : 1 };
}

/** Field values as plain JSON, for read models and sinks. */
export function plainFields(state: EntityState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state.fields).map(([k, f]) => [k, JSON.parse(f.valueJson) as unknown]));
}
