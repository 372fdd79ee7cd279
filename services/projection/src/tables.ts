import type { Knex } from 'knex';
import { migrate, type Db } from '@cr/runtime';

/**
 * The projection's tables. `entity_state` is the read model (the api reads it);
 * the others are the projection's own: each entity's document (every input
 * applied to it), which entities hold an event, and every verdict by event.
 * All of it is rebuilt by replaying the topics.
 */
export async function migrateProjection(db: Db): Promise<void> {
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
    // Added after the first release: search columns and the field history.
    const add = async (column: string, build: (t: Knex.AlterTableBuilder) => void): Promise<void> => {
      if (!(await trx.schema.hasColumn('entity_state', column))) await trx.schema.alterTable('entity_state', build);
    };
    await add('identifiers', (t) => { t.jsonb('identifiers').notNullable().defaultTo('[]'); });
    await add('history', (t) => { t.jsonb('history').notNullable().defaultTo('[]'); });
    await add('deleted', (t) => { t.boolean('deleted').notNullable().defaultTo(false); });
    await trx.raw('create index if not exists entity_state_fields_gin on entity_state using gin (fields jsonb_path_ops)');
    await trx.raw('create index if not exists entity_state_identifiers_gin on entity_state using gin (identifiers jsonb_path_ops)');
    if (!(await trx.schema.hasTable('projection_docs'))) {
      await trx.schema.createTable('projection_docs', (t) => {
        t.text('entity_id').primary();
        t.jsonb('doc').notNullable();
      });
    }
    if (!(await trx.schema.hasTable('projection_event_index'))) {
      await trx.schema.createTable('projection_event_index', (t) => {
        t.text('event_id').notNullable();
        t.text('entity_id').notNullable();
        t.primary(['event_id', 'entity_id']);
      });
    }
    if (!(await trx.schema.hasTable('projection_verdicts'))) {
      await trx.schema.createTable('projection_verdicts', (t) => {
        t.text('event_id').notNullable();
        t.text('verdict_id').notNullable();
        t.jsonb('verdict').notNullable();
        t.primary(['event_id', 'verdict_id']);
      });
    }
  });
}
