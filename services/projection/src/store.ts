import { migrate, type Db } from '@cr/runtime';
import { evolve, plainFields, type EntityState, type ProjectionInput } from '@cr/world-model';

/**
 * The projection's read model: one row per entity with its state, and the ids
 * of inputs already applied, so a re-delivered event changes nothing.
 */
export async function createProjectionStore(db: Db) {
  await migrate(db, 'projection', async (trx) => {
    if (!(await trx.schema.hasTable('entity_state'))) {
      await trx.schema.createTable('entity_state', (t) => {
        t.text('entity_id').primary();
        t.text('entity_type').notNullable().index();
        t.bigInteger('version').notNullable();
        t.jsonb('state').notNullable();
        t.jsonb('fields').notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(trx.fn.now());
      });
    }
    if (!(await trx.schema.hasTable('projection_applied'))) {
      await trx.schema.createTable('projection_applied', (t) => {
        t.text('entity_id').notNullable();
        t.text('input_id').notNullable();
        t.primary(['entity_id', 'input_id']);
      });
    }
  });

  return {
    /** Applies one input; returns the entity's current state (changed or not). */
    async apply(entityId: string, inputId: string, input: ProjectionInput): Promise<EntityState> {
      return db.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 1))', [entityId]);
        const row = await trx('entity_state').where({ entity_id: entityId }).first('state');
        const current = (row?.state ?? null) as EntityState | null;
        const inserted = await trx('projection_applied').insert({ entity_id: entityId, input_id: inputId }).onConflict(['entity_id', 'input_id']).ignore().returning('input_id');
        if (inserted.length === 0 && current) return current;
        const next = evolve(current, input);
        await trx('entity_state')
          .insert({ entity_id: entityId, entity_type: next.entityType, version: next.version, state: JSON.stringify(next), fields: JSON.stringify(plainFields(next)), updated_at: trx.fn.now() })
          .onConflict('entity_id').merge(['entity_type', 'version', 'state', 'fields', 'updated_at']);
        return next;
      });
    },
  };
}
