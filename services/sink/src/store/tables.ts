import type { Knex } from 'knex';
import { migrate, type Db } from '@cr/runtime';

/**
 * The sink's own tables, every row keyed by sink id so several sinks can share a
 * schema without sharing state:
 * - sink_ledger:   one row per sink, entity and entity version: what happened to it;
 * - sink_targets:  per sink and entity: where it stands in the target (record id and
 *                  version, content hash, last outcome, what it waits for, read-back);
 * - sink_steps:    per step of a multi-step write, so a retry re-runs only what failed;
 * - sink_entities: the latest entity states the sink has seen (dependencies, re-queues);
 * - sink_review_tasks, sink_approvals: operators' decisions (human sign-off);
 * - sink_leases:   one reconciler per sink across instances.
 */
export async function migrateSink(db: Db): Promise<void> {
  await migrate(db, 'sink', async (trx) => {
    await ledger(trx);
    await create(trx, 'sink_targets', (t) => {
      t.text('sink_id').notNullable();
      t.text('entity_id').notNullable();
      t.text('entity_type');
      t.bigInteger('last_version').notNullable();
      t.text('outcome').notNullable();
      t.text('reason_code');
      t.text('target_type');
      t.text('target_id');
      t.text('target_version');
      t.text('content_hash');
      t.text('waiting_on');
      t.timestamp('written_at', { useTz: true });
      t.timestamp('verified_at', { useTz: true });
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(trx.fn.now());
      t.primary(['sink_id', 'entity_id']);
      t.index(['sink_id', 'waiting_on']);
    });
    await create(trx, 'sink_steps', (t) => {
      t.text('sink_id').notNullable();
      t.text('entity_id').notNullable();
      t.bigInteger('entity_version').notNullable();
      t.text('step').notNullable();
      t.text('status').notNullable();
      /** The content the step was done for: a re-evaluation with other content runs it again. */
      t.text('content_hash');
      t.text('target_type');
      t.text('target_id');
      t.text('target_version');
      t.integer('attempts').notNullable().defaultTo(0);
      t.text('error');
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(trx.fn.now());
      t.primary(['sink_id', 'entity_id', 'entity_version', 'step']);
    });
    await create(trx, 'sink_entities', (t) => {
      t.text('sink_id').notNullable();
      t.text('entity_id').notNullable();
      t.text('entity_type').notNullable();
      t.bigInteger('version').notNullable();
      t.jsonb('state').notNullable();
      t.specificType('ref_keys', 'text[]').notNullable().defaultTo('{}');
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(trx.fn.now());
      t.primary(['sink_id', 'entity_id']);
    });
    await trx.raw('create index if not exists sink_entities_ref_keys on sink_entities using gin (ref_keys)');
    await create(trx, 'sink_review_tasks', (t) => {
      t.text('sink_id').notNullable();
      t.text('task_id').notNullable();
      t.text('entity_id').notNullable();
      t.jsonb('event_ids').notNullable();
      t.primary(['sink_id', 'task_id']);
    });
    await create(trx, 'sink_approvals', (t) => {
      t.text('sink_id').notNullable();
      t.text('entity_id').notNullable();
      /** '' for a decision on the whole entity. */
      t.text('event_id').notNullable();
      t.boolean('approved').notNullable();
      t.bigInteger('decided_at').notNullable();
      t.text('decision_id').notNullable();
      t.primary(['sink_id', 'entity_id', 'event_id']);
    });
    await create(trx, 'sink_leases', (t) => {
      t.text('sink_id').notNullable();
      t.text('name').notNullable();
      t.text('holder').notNullable();
      t.timestamp('expires_at', { useTz: true }).notNullable();
      t.primary(['sink_id', 'name']);
    });
  });
}

async function create(trx: Knex.Transaction, table: string, build: (t: Knex.CreateTableBuilder) => void): Promise<void> {
  if (!(await trx.schema.hasTable(table))) await trx.schema.createTable(table, build);
}

/**
 * The ledger: one row per sink, entity and entity version. A ledger from before
 * (one row per sink and entity) is widened in place.
 */
async function ledger(trx: Knex.Transaction): Promise<void> {
  if (!(await trx.schema.hasTable('sink_ledger'))) {
    await trx.schema.createTable('sink_ledger', (t) => {
      t.text('sink_id').notNullable();
      t.text('entity_id').notNullable();
      t.bigInteger('entity_version').notNullable();
      t.text('entity_type');
      t.text('outcome').notNullable();
      t.text('reason');
      t.text('reason_code');
      t.text('trigger');
      t.text('target_type');
      t.text('target_id');
      t.text('target_version');
      t.text('content_hash');
      t.integer('attempt').notNullable().defaultTo(1);
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(trx.fn.now());
      t.primary(['sink_id', 'entity_id', 'entity_version']);
    });
    return;
  }
  if (await trx.schema.hasColumn('sink_ledger', 'reason_code')) return;
  await trx.schema.alterTable('sink_ledger', (t) => {
    t.dropPrimary();
    t.text('entity_type');
    t.text('reason');
    t.text('reason_code');
    t.text('trigger');
    t.text('target_type');
    t.integer('attempt').notNullable().defaultTo(1);
  });
  await trx.schema.alterTable('sink_ledger', (t) => t.primary(['sink_id', 'entity_id', 'entity_version']));
  // The old rows were the positions: carry them over before sink_targets is created empty.
  if (await trx.schema.hasTable('sink_targets')) return;
  await trx.raw(`create table sink_targets as select sink_id, entity_id, null::text as entity_type, entity_version as last_version, outcome,
    null::text as reason_code, 'Patient'::text as target_type, target_id, target_version, content_hash, null::text as waiting_on,
    updated_at as written_at, null::timestamptz as verified_at, updated_at from sink_ledger`);
  await trx.raw('alter table sink_targets add primary key (sink_id, entity_id)');
  await trx.raw('create index on sink_targets (sink_id, waiting_on)');
}
