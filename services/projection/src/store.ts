import type { Knex } from 'knex';
import type { Db } from '@cr/runtime';
import {
  evolve, historyOf, plainFields, stateOf,
  type EntityLinks, type EntityState, type ProjectionDoc, type ProjectionInput, type ProjectionOptions, type ResolvedEvent, type Verdict,
} from '@cr/world-model';
import { migrateProjection } from './tables.ts';

/** One input of the projection, as it comes off its topic. */
export type StoreInput =
  | { kind: 'event'; resolved: ResolvedEvent }
  | { kind: 'verdict'; verdict: Verdict }
  | { kind: 'links'; entityId: string; links: EntityLinks | null };

export interface ProjectionStore {
  /**
   * Applies inputs (in order) in one transaction. Returns, per input, the states to
   * publish: each entity the batch touched is published once, with its final state,
   * by the last input that touched it (changed or not: a re-delivery re-publishes).
   */
  applyBatch(inputs: readonly StoreInput[]): Promise<EntityState[][]>;
}

/**
 * Advisory locks on every key, in the order given (callers sort): the array is
 * unnested in order and the aggregate takes the locks row by row.
 */
async function lockAll(trx: Knex.Transaction, keys: readonly string[]): Promise<void> {
  if (!keys.length) return;
  await trx.raw('select count(pg_advisory_xact_lock(hashtextextended(k, 7))) from unnest(?::text[]) with ordinality as t(k, n)', [[...keys]]);
}

/** Worth publishing: the entity holds at least one event (a links- or verdict-only document shows nothing yet). */
const visible = (doc: ProjectionDoc): boolean => Object.keys(doc.events).length > 0;

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/**
 * The projection over Postgres. A batch of inputs is applied to the entities'
 * documents in one transaction under advisory locks, idempotently (an input
 * already applied changes nothing); the state, the field history and the search
 * columns are derived from each document and written with one statement per
 * table. Locks are taken events first, then entities, each in sorted order, so
 * concurrent instances cannot deadlock.
 */
export async function createProjectionStore(db: Db, options: ProjectionOptions): Promise<ProjectionStore> {
  await migrateProjection(db);

  async function saveAll(trx: Knex.Transaction, docs: readonly ProjectionDoc[]): Promise<void> {
    if (!docs.length) return;
    await trx('projection_docs')
      .insert(docs.map((doc) => ({ entity_id: doc.entityId, doc: JSON.stringify(doc) })))
      .onConflict('entity_id').merge(['doc']);
    const shown = docs.filter(visible);
    if (!shown.length) return;
    await trx('entity_state')
      .insert(shown.map((doc) => {
        const state = stateOf(doc, options);
        return {
          entity_id: state.entityId, entity_type: state.entityType, version: state.version, state: JSON.stringify(state),
          fields: JSON.stringify(plainFields(state)), identifiers: JSON.stringify(state.identifiers),
          history: JSON.stringify(historyOf(doc, options)), deleted: state.deleted, updated_at: trx.fn.now(),
        };
      }))
      .onConflict('entity_id').merge(['entity_type', 'version', 'state', 'fields', 'identifiers', 'history', 'deleted', 'updated_at']);
  }

  function applyBatch(inputs: readonly StoreInput[]): Promise<EntityState[][]> {
    if (!inputs.length) return Promise.resolve([]);
    return db.transaction(async (trx) => {
      const events = inputs.flatMap((i) => (i.kind === 'event' ? [i.resolved] : []));
      const verdicts = inputs.flatMap((i) => (i.kind === 'verdict' ? [i.verdict] : []));
      await lockAll(trx, sorted([...events.map((e) => e.event.eventId), ...verdicts.map((v) => v.eventId)]).map((id) => `event:${id}`));

      if (events.length) {
        const rows = new Map(events.map((e) => [`${e.event.eventId}\u0000${e.entityId}`, { event_id: e.event.eventId, entity_id: e.entityId }]));
        await trx('projection_event_index').insert([...rows.values()]).onConflict(['event_id', 'entity_id']).ignore();
      }
      if (verdicts.length) {
        const rows = new Map(verdicts.map((v) => [`${v.eventId}\u0000${v.verdictId}`, { event_id: v.eventId, verdict_id: v.verdictId, verdict: JSON.stringify(v) }]));
        await trx('projection_verdicts').insert([...rows.values()]).onConflict(['event_id', 'verdict_id']).ignore();
      }
      // Verdicts that came before their event (a replay reads topics in any interleaving).
      const earlier = new Map<string, Verdict[]>();
      if (events.length) {
        const rows = await trx('projection_verdicts').whereIn('event_id', sorted(events.map((e) => e.event.eventId))).orderBy(['event_id', 'verdict_id']).select('event_id', 'verdict') as { event_id: string; verdict: Verdict }[];
        for (const r of rows) earlier.set(r.event_id, [...(earlier.get(r.event_id) ?? []), r.verdict]);
      }
      // Every entity holding a verdict's event (read under the event's lock).
      const holders = new Map<string, string[]>();
      if (verdicts.length) {
        const rows = await trx('projection_event_index').whereIn('event_id', sorted(verdicts.map((v) => v.eventId))).select('event_id', 'entity_id') as { event_id: string; entity_id: string }[];
        for (const r of rows) holders.set(r.event_id, [...(holders.get(r.event_id) ?? []), r.entity_id]);
      }

      // What each input touches, in order.
      const touches: { entityId: string; inputs: ProjectionInput[]; create: boolean }[][] = inputs.map((input) => {
        switch (input.kind) {
          case 'event': {
            const { resolved } = input;
            const before = (earlier.get(resolved.event.eventId) ?? []).map((verdict) => ({ kind: 'verdict' as const, verdict }));
            return [{ entityId: resolved.entityId, inputs: [{ kind: 'event', resolved }, ...before], create: true }];
          }
          case 'verdict': {
            const { verdict } = input;
            return sorted([...(holders.get(verdict.eventId) ?? []), verdict.entityId])
              .map((entityId) => ({ entityId, inputs: [{ kind: 'verdict', verdict }], create: false }));
          }
          case 'links':
            return [{ entityId: input.entityId, inputs: [{ kind: 'links', entityId: input.entityId, links: input.links }], create: true }];
        }
      });
      const entityIds = sorted(touches.flat().map((t) => t.entityId));
      await lockAll(trx, entityIds.map((id) => `entity:${id}`));

      const loaded = new Map<string, ProjectionDoc>();
      for (const r of await trx('projection_docs').whereIn('entity_id', entityIds).select('entity_id', 'doc') as { entity_id: string; doc: ProjectionDoc }[]) {
        loaded.set(r.entity_id, r.doc);
      }
      const docs = new Map(loaded);
      const lastToucher = new Map<string, number>();
      touches.forEach((list, index) => {
        for (const t of list) {
          let doc = docs.get(t.entityId) ?? null;
          if (!doc && !t.create) continue;
          for (const input of t.inputs) doc = evolve(doc, input);
          if (!doc) continue;
          docs.set(t.entityId, doc);
          lastToucher.set(t.entityId, index);
        }
      });
      // evolve returns the same object when nothing changed: only changed documents are written.
      await saveAll(trx, [...docs.values()].filter((doc) => doc !== loaded.get(doc.entityId)));

      const out: EntityState[][] = inputs.map(() => []);
      for (const [entityId, index] of lastToucher) {
        const doc = docs.get(entityId)!;
        if (visible(doc)) out[index]!.push(stateOf(doc, options));
      }
      for (const states of out) states.sort((a, b) => (a.entityId < b.entityId ? -1 : a.entityId > b.entityId ? 1 : 0));
      return out;
    });
  }

  return { applyBatch };
}
