import { sourceKey, type EntityLinks, type Identifier, type ResolvedEvent, type SourceRef, type Verdict } from '../types.ts';

/** Resolution rule of events the caller attached to a known entity id (api writes): not subject to link membership. */
export const CALLER_ENTITY_RULE = 'caller-entity-id';

/** What the projection keeps of one event: enough to rebuild the entity from its events alone. */
export interface AppliedEvent {
  eventId: string;
  entityType: string;
  source: SourceRef;
  sourceKey: string;
  origin: string;
  confidence: number;
  observedAt: number;
  recordedAt: number;
  category: string | null;
  attributes: Record<string, string>;
  identifiers: Identifier[];
  deleted: boolean;
  /** Attached by the caller by entity id, not by resolution: kept whatever the links say. */
  pinned: boolean;
}

/**
 * The projection's document for one entity: every input applied to it. The
 * entity's state is a pure function of this document (see `stateOf`), never of
 * the order the inputs came in, so a replay gives the same state.
 */
export interface ProjectionDoc {
  entityId: string;
  entityType: string;
  events: Record<string, AppliedEvent>;
  /** Verdicts by the event they judge. */
  verdicts: Record<string, Verdict[]>;
  /** The latest `entity.links` for this entity: its member source records. Null: none seen yet. */
  links: { members: string[]; change: string; revision: number } | null;
  /** Inputs applied (events, verdicts, link changes): the state's version. */
  inputs: number;
}

export type ProjectionInput =
  | { kind: 'event'; resolved: ResolvedEvent }
  | { kind: 'verdict'; verdict: Verdict }
  /** Null links: the entity's links were deleted (tombstone): it has no member records left. */
  | { kind: 'links'; entityId: string; links: EntityLinks | null };

export function emptyDoc(entityId: string, entityType: string): ProjectionDoc {
  return { entityId, entityType, events: {}, verdicts: {}, links: null, inputs: 0 };
}

function appliedEvent(resolved: ResolvedEvent): AppliedEvent {
  const e = resolved.event;
  return {
    eventId: e.eventId, entityType: e.entityType, source: e.source, sourceKey: sourceKey(e.source), origin: String(e.origin),
    confidence: e.confidence, observedAt: e.observedAt, recordedAt: e.recordedAt, category: e.category ?? null,
    attributes: { ...e.attributes }, identifiers: [...e.identifiers], deleted: Boolean(e.deleted),
    pinned: resolved.resolution.rule === CALLER_ENTITY_RULE,
  };
}

/**
 * Applies one input to an entity's document. Pure and idempotent: an input
 * already applied (same event id, same verdict id, same links) returns the very
 * same document object, so callers can tell "nothing changed" by identity.
 * The result depends on the set of inputs, not their order.
 */
export function evolve(doc: ProjectionDoc | null, input: ProjectionInput): ProjectionDoc {
  switch (input.kind) {
    case 'event': {
      const { resolved } = input;
      const base = doc ?? emptyDoc(resolved.entityId, resolved.event.entityType);
      if (base.events[resolved.event.eventId]) return base;
      const entityType = base.entityType === 'Unknown' ? resolved.event.entityType : base.entityType;
      return { ...base, entityType, events: { ...base.events, [resolved.event.eventId]: appliedEvent(resolved) }, inputs: base.inputs + 1 };
    }
    case 'verdict': {
      // Kept even before its event arrives: on a replay verdicts may come first.
      const { verdict } = input;
      const base = doc ?? emptyDoc(verdict.entityId, 'Unknown');
      const known = base.verdicts[verdict.eventId] ?? [];
      if (known.some((v) => v.verdictId === verdict.verdictId)) return base;
      return { ...base, verdicts: { ...base.verdicts, [verdict.eventId]: [...known, verdict] }, inputs: base.inputs + 1 };
    }
    case 'links': {
      const base = doc ?? emptyDoc(input.entityId, input.links?.entityType ?? 'Unknown');
      const next = input.links
        ? { members: [...new Set(input.links.members.map((m) => m.sourceKey))].sort(), change: input.links.change, revision: input.links.revision }
        : { members: [], change: 'deleted', revision: (base.links?.revision ?? 0) + 1 };
      const same = base.links && base.links.change === next.change && base.links.revision === next.revision
        && base.links.members.length === next.members.length && base.links.members.every((m, i) => m === next.members[i]);
      if (same) return base;
      const entityType = base.entityType === 'Unknown' && input.links ? input.links.entityType : base.entityType;
      return { ...base, entityType, links: next, inputs: base.inputs + 1 };
    }
  }
}

/** The events that count for the entity: all of them until links are known, then its members' and pinned ones. */
export function includedEvents(doc: ProjectionDoc): AppliedEvent[] {
  const members = doc.links ? new Set(doc.links.members) : undefined;
  return Object.values(doc.events)
    .filter((e) => !members || e.pinned || members.has(e.sourceKey))
    .sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
}

/**
 * The verdict in force for an event: the latest decided (ties: larger verdict id),
 * so an operator's later decision overrides an automated one.
 */
export function verdictInForce(doc: ProjectionDoc, eventId: string): Verdict | undefined {
  let best: Verdict | undefined;
  for (const v of doc.verdicts[eventId] ?? []) {
    if (!best || v.decidedAt > best.decidedAt || (v.decidedAt === best.decidedAt && v.verdictId > best.verdictId)) best = v;
  }
  return best;
}
