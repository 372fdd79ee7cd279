/**
 * The projection: an entity's state from all its events. `evolve(doc, input)`
 * folds one input (event, verdict, links) into the entity's document; `stateOf`
 * and `historyOf` read the state and the field history from it. All pure.
 */
import type { EntityState } from '../types.ts';

export { evolve, emptyDoc, includedEvents, verdictInForce, CALLER_ENTITY_RULE, type AppliedEvent, type ProjectionDoc, type ProjectionInput } from './document.ts';
export { stateOf, candidatesOf, DEFAULT_PROJECTION, type ProjectionOptions } from './state.ts';
export { historyOf, type FieldChange } from './history.ts';
export { compareCandidates, wins, lossReason } from './conflict.ts';

/** An empty state, e.g. for tests of code that reads states. */
export function initialState(entityId: string, entityType: string): EntityState {
  return {
    entityId, entityType, version: 0, fields: {}, sourceRefs: [], identifiers: [],
    minConfidence: 1, eventCount: 0, updatedAt: 0, deleted: false,
  };
}

/** Field values as plain JSON, for read models and sinks. */
export function plainFields(state: EntityState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state.fields).map(([k, f]) => [k, JSON.parse(f.valueJson) as unknown]));
}
