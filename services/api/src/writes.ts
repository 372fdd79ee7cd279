import { deterministicId } from '@cr/core';
import { TOPICS, type OutputMessage } from '@cr/kafka';
import { CALLER_ENTITY_RULE, sourceKey, type Identifier, type ResolvedEvent, type WorldEvent } from '@cr/world-model';

/** The system name api-written events carry in their source reference. */
export const API_SYSTEM = 'connector-runner-api';

export interface WriteSpec {
  /** Who wrote it (token subject) and their idempotency key: together they fix the event id. */
  subject: string;
  requestId: string;
  entityType: string;
  entityId?: string | undefined;
  identifiers: Identifier[];
  origin: 'voice' | 'agent' | 'operator';
  /** Data source the event is attributed to (default: the origin). */
  dataSourceId?: string | undefined;
  confidence: number;
  attributes: Record<string, string>;
  category: string | null;
  observedAt: number;
  recordedAt: number;
  sourceMaterial: string | null;
  deleted?: boolean;
}

/** A world event for an agent, voice or operator write. Deterministic id: a retried request is the same event. */
export function worldEventFor(w: WriteSpec): WorldEvent {
  return {
    eventId: deterministicId('api-event', w.subject, w.requestId),
    entityType: w.entityType,
    source: { dataSourceId: w.dataSourceId ?? w.origin, system: API_SYSTEM, resourceType: w.entityType, externalId: w.requestId },
    attributes: w.attributes,
    identifiers: w.identifiers,
    confidence: w.confidence,
    origin: w.origin,
    observedAt: w.observedAt,
    recordedAt: w.recordedAt,
    mappingVersion: 'api@1',
    causationId: `api:${w.requestId}`,
    category: w.category,
    deleted: w.deleted ?? false,
    sourceMaterial: w.sourceMaterial,
  };
}

/**
 * Where a write goes: with a known entity id straight onto `world.entity-events`
 * (the caller already resolved it; the projection keeps such events whatever the
 * entity's links), otherwise onto `world.events` for entity resolution.
 */
export function messageFor(event: WorldEvent, entityId: string | undefined): OutputMessage {
  if (entityId) {
    const resolved: ResolvedEvent = { entityId, event, resolution: { tier: 1, rule: CALLER_ENTITY_RULE, score: 1, features: ['entityId'] } };
    return { topic: TOPICS.entityEvents, key: entityId, value: resolved };
  }
  return { topic: TOPICS.worldEvents, key: `${event.entityType}/${sourceKey(event.source)}`, value: event };
}
