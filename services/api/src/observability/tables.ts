import { migrate, type Db } from '@cr/runtime';

/**
 * The api's observability tables, filled from the pipeline topics. Each
 * consumed partition's next offset is stored in the same transaction as the
 * rows it produced (`api_obs_offsets`), so a redelivered record is recognised
 * and skipped: counts never double after a crash.
 */
export async function createObservabilityTables(db: Db): Promise<void> {
  await migrate(db, 'api-observability', async (trx) => {
    const create = async (name: string, build: Parameters<typeof trx.schema.createTable>[1]): Promise<void> => {
      if (!(await trx.schema.hasTable(name))) await trx.schema.createTable(name, build);
    };
    await create('api_obs_offsets', (t) => {
      t.text('topic').notNullable();
      t.integer('kafka_partition').notNullable();
      t.bigInteger('next_offset').notNullable();
      t.primary(['topic', 'kafka_partition']);
    });
    // Data sources as configured: name, type, cadence. Never the raw config or its secrets.
    await create('api_obs_sources', (t) => {
      t.text('data_source_id').primary();
      t.text('name').notNullable();
      t.text('type').notNullable();
      t.boolean('enabled').notNullable();
      t.bigInteger('interval_ms');
      t.text('cadence').notNullable();
      t.bigInteger('revision').notNullable();
    });
    // One row per poll cycle report (pipeline.source-health), kept 7 days.
    await create('api_obs_polls', (t) => {
      t.integer('kafka_partition').notNullable();
      t.bigInteger('kafka_offset').notNullable();
      t.text('data_source_id').notNullable();
      t.text('resource_type').notNullable();
      t.text('status').notNullable();
      t.bigInteger('poll_at').notNullable();
      t.bigInteger('ended_at').notNullable();
      t.bigInteger('duration_ms').notNullable();
      t.integer('fetched').notNullable();
      t.integer('emitted').notNullable();
      t.text('error_class');
      t.text('error');
      t.text('cycle');
      t.text('detail');
      t.primary(['kafka_partition', 'kafka_offset']);
      t.index(['data_source_id', 'poll_at']);
      t.index(['ended_at']);
    });
    // The latest state of each source's resource; survives the pruning of polls.
    await create('api_obs_resources', (t) => {
      t.text('data_source_id').notNullable();
      t.text('resource_type').notNullable();
      t.text('status').notNullable();
      t.integer('consecutive_errors').notNullable();
      t.text('last_error_class');
      t.text('last_error');
      t.bigInteger('last_error_at');
      t.bigInteger('unhealthy_since');
      t.bigInteger('recovered_at');
      t.bigInteger('last_poll_at').notNullable();
      t.bigInteger('last_ingested_at');
      t.bigInteger('last_duration_ms').notNullable();
      t.integer('last_fetched').notNullable();
      t.integer('last_emitted').notNullable();
      t.text('last_cycle');
      t.text('last_detail');
      t.primary(['data_source_id', 'resource_type']);
    });
    // Sink outcomes: counts per minute (48 h), per hour (35 days) and all time.
    for (const name of ['api_obs_sink_minutes', 'api_obs_sink_hours']) {
      await create(name, (t) => {
        t.text('sink_id').notNullable();
        t.bigInteger('bucket').notNullable();
        t.text('outcome').notNullable();
        t.bigInteger('count').notNullable();
        t.primary(['sink_id', 'bucket', 'outcome']);
        t.index(['bucket']);
      });
    }
    await create('api_obs_sink_totals', (t) => {
      t.text('sink_id').notNullable();
      t.text('outcome').notNullable();
      t.bigInteger('count').notNullable();
      t.bigInteger('last_at').notNullable();
      t.primary(['sink_id', 'outcome']);
    });
    // Sensing-to-action latency of each `written` result that carries the sensed-at header (7 days).
    await create('api_obs_latency', (t) => {
      t.integer('kafka_partition').notNullable();
      t.bigInteger('kafka_offset').notNullable();
      t.text('sink_id').notNullable();
      t.bigInteger('at').notNullable();
      t.bigInteger('latency_ms').notNullable();
      t.primary(['kafka_partition', 'kafka_offset']);
      t.index(['at']);
    });
  });
}
