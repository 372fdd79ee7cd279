import { migrate, type Db } from '@cr/runtime';

/**
 * Resolution's own tables (no other service reads them). All of it derives from
 * `world.events` and `entity.link-requests`: drop the tables and replay the
 * topics from the beginning to rebuild it. (Singular names: the first slice's
 * `resolution_keys` / `resolution_members` had another shape and are not used.)
 *
 *   resolution_entity       entity id, type, founding record, links revision, alive
 *   resolution_member       source record -> entity, its match features and how it was linked
 *   resolution_key          index key hash -> source record (tier-1 identifiers and blocking keys)
 *   resolution_event        every resolved event (to re-publish a record's events when it moves)
 *   resolution_cannot_link  pairs of records an operator split apart
 *   resolution_unlink       applied unlink requests (idempotent re-delivery)
 */
export async function migrateResolution(db: Db): Promise<void> {
  await migrate(db, 'resolution-v2', async (trx) => {
    await trx.raw('create sequence if not exists resolution_seq');
    if (!(await trx.schema.hasTable('resolution_entity'))) {
      await trx.schema.createTable('resolution_entity', (t) => {
        t.text('entity_id').primary();
        t.text('entity_type').notNullable();
        t.bigInteger('created_seq').notNullable();
        t.text('founder').notNullable();
        t.integer('revision').notNullable();
        t.boolean('alive').notNullable();
      });
    }
    if (!(await trx.schema.hasTable('resolution_member'))) {
      await trx.schema.createTable('resolution_member', (t) => {
        t.text('source_key').primary();
        t.text('entity_id').notNullable().index();
        t.text('entity_type').notNullable();
        t.jsonb('record').notNullable();
        t.integer('tier').notNullable();
        t.text('rule').notNullable();
        t.double('score').notNullable();
        t.jsonb('features').notNullable();
        t.bigInteger('linked_seq').notNullable();
        t.bigInteger('linked_at').notNullable();
        t.text('first_event_id').notNullable();
      });
    }
    if (!(await trx.schema.hasTable('resolution_key'))) {
      await trx.schema.createTable('resolution_key', (t) => {
        t.bigInteger('key_hash').notNullable();
        t.text('source_key').notNullable();
        t.primary(['key_hash', 'source_key']);
      });
    }
    if (!(await trx.schema.hasTable('resolution_event'))) {
      await trx.schema.createTable('resolution_event', (t) => {
        t.text('event_id').primary();
        t.bigIncrements('seq', { primaryKey: false });
        t.text('source_key').notNullable();
        // JSON text: only ever read back whole, and text is cheaper to write than jsonb.
        t.text('event').notNullable();
        t.jsonb('effects').notNullable();
        t.index(['source_key', 'seq']);
      });
      // Compressed in the row (pglz) from a small size on: half the pages to write, and fewer
      // hot index and member pages pushed out of the buffer cache by events that are rarely read.
      await trx.raw('alter table resolution_event alter column event set storage main');
      await trx.raw('alter table resolution_event set (toast_tuple_target = 128)');
    }
    if (!(await trx.schema.hasTable('resolution_cannot_link'))) {
      await trx.schema.createTable('resolution_cannot_link', (t) => {
        t.text('a').notNullable();
        t.text('b').notNullable();
        t.primary(['a', 'b']);
      });
    }
    if (!(await trx.schema.hasTable('resolution_unlink'))) {
      await trx.schema.createTable('resolution_unlink', (t) => {
        t.text('request_id').primary();
        t.text('entity_id').notNullable();
        t.jsonb('effects').notNullable();
        t.bigInteger('applied_at').notNullable();
      });
    }
  });
}
