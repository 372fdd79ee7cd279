import type { Knex } from 'knex';
import type { Db } from '@cr/runtime';
import {
  evolve, historyOf, plainFields, stateOf,
  type EntityLinks, type EntityState, type ProjectionDoc, type ProjectionInput, type ProjectionOptions, type ResolvedEvent, type Verdict,
} from '@cr/world-model';
import { migrateProjection } from './tables.ts';

export interface ProjectionStore {
  /** Applies an entity event; returns the entity's current state (changed or not). */
  applyEvent(resolved: ResolvedEvent): Promise<EntityState[]>;
  /** Applies a verdict to every entity holding its event; returns their states. */
  applyVerdict(verdict: Verdict): Promise<EntityState[]>;
  /** Applies an entity's links (null: tombstone); returns its rebuilt state. */
  applyLinks(entityId: string, links: EntityLinks | null): Promise<EntityState[]>;
}

const lock = (trx: Knex.Transaction, key: string): Promise<unknown> => trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 7))', [key]);

/** Worth publishing: the entity holds at least one event (a links- or verdict-only document shows nothing yet). */
const visible = (doc: ProjectionDoc): boolean => Object.keys(doc.events).length > 0;

/**
 * The projection over Postgres. Every input is applied to the entity's document
 * under an advisory lock, idempotently (an input already applied changes
 * nothing); the state, the field history and the search columns are derived
 * from the document in the same transaction. Locks are taken event first, then
 * entities in sorted order, so concurrent instances cannot deadlock.
 */
export async function createProjectionStore(db: Db, options: ProjectionOptions): Promise<ProjectionStore> {
  await migrateProjection(db);

  async function load(trx: Knex.Transaction, entityId: string): Promise<ProjectionDoc | null> {
    const row = await trx('projection_docs').where({ entity_id: entityId }).first('doc');
    return (row?.doc ?? null) as ProjectionDoc | null;
  }

  async function save(trx: Knex.Transaction, doc: ProjectionDoc): Promise<EntityState> {
    const state = stateOf(doc, options);
    await trx('projection_docs').insert({ entity_id: doc.entityId, doc: JSON.stringify(doc) }).onConflict('entity_id').merge(['doc']);
    if (visible(doc)) {
      await trx('entity_state')
        .insert({
          entity_id: state.entityId, entity_type: state.entityType, version: state.version, state: JSON.stringify(state),
          fields: JSON.stringify(plainFields(state)), identifiers: JSON.stringify(state.identifiers),
          history: JSON.stringify(historyOf(doc, options)), deleted: state.deleted, updated_at: trx.fn.now(),
        })
        .onConflict('entity_id').merge(['entity_type', 'version', 'state', 'fields', 'identifiers', 'history', 'deleted', 'updated_at']);
    }
    return state;
  }

  /** Applies inputs to one (locked) entity and saves it if anything changed. */
  async function applyTo(trx: Knex.Transaction, entityId: string, inputs: ProjectionInput[], createIfMissing: boolean): Promise<EntityState | undefined> {
    const current = await load(trx, entityId);
    if (!current && !createIfMissing) return undefined;
    let next = current;
    for (const input of inputs) next = evolve(next, input);
    if (!next) return undefined;
    const state = next === current ? stateOf(next, options) : await save(trx, next);
    return visible(next) ? state : undefined;
  }

  return {
    applyEvent(resolved) {
      const { entityId } = resolved;
      const eventId = resolved.event.eventId;
      return db.transaction(async (trx) => {
        await lock(trx, `event:${eventId}`);
        await lock(trx, `entity:${entityId}`);
        await trx('projection_event_index').insert({ event_id: eventId, entity_id: entityId }).onConflict(['event_id', 'entity_id']).ignore();
        // Verdicts that came before the event (a replay reads topics in any interleaving).
        const earlier = await trx('projection_verdicts').where({ event_id: eventId }).orderBy('verdict_id').select('verdict');
        const inputs: ProjectionInput[] = [{ kind: 'event', resolved }, ...earlier.map((r: { verdict: Verdict }) => ({ kind: 'verdict' as const, verdict: r.verdict }))];
        const state = await applyTo(trx, entityId, inputs, true);
        return state ? [state] : [];
      });
    },

    applyVerdict(verdict) {
      return db.transaction(async (trx) => {
        await lock(trx, `event:${verdict.eventId}`);
        await trx('projection_verdicts').insert({ event_id: verdict.eventId, verdict_id: verdict.verdictId, verdict: JSON.stringify(verdict) }).onConflict(['event_id', 'verdict_id']).ignore();
        const holders = await trx('projection_event_index').where({ event_id: verdict.eventId }).pluck('entity_id') as string[];
        const states: EntityState[] = [];
        for (const entityId of [...new Set([...holders, verdict.entityId])].sort()) {
          await lock(trx, `entity:${entityId}`);
          const state = await applyTo(trx, entityId, [{ kind: 'verdict', verdict }], false);
          if (state) states.push(state);
        }
        return states;
      });
    },

    applyLinks(entityId, links) {
      return db.transaction(async (trx) => {
        await lock(trx, `entity:${entityId}`);
        const state = await applyTo(trx, entityId, [{ kind: 'links', entityId, links }], true);
        return state ? [state] : [];
      });
    },
  };
}
