import knexFactory, { type Knex } from 'knex';

export type Db = Knex;

export interface DbOptions {
  url: string;
  /** Postgres schema holding this deployment's tables; tests use a fresh one each. */
  schema: string;
  poolMax?: number;
}

/**
 * A knex handle bound to one Postgres schema (created if missing). Each service
 * owns its tables inside it and never reads another service's tables.
 */
export async function createDb(options: DbOptions): Promise<Db> {
  if (!/^[a-z_][a-z0-9_]*$/.test(options.schema)) throw new Error(`database.schema must match [a-z_][a-z0-9_]*, got ${JSON.stringify(options.schema)}`);
  const db = knexFactory({
    client: 'pg',
    connection: options.url,
    searchPath: [options.schema, 'public'],
    pool: { min: 0, max: options.poolMax ?? 5 },
  });
  // Two services starting together may race on CREATE SCHEMA; the advisory lock serialises them.
  await db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`schema:${options.schema}`]);
    await trx.raw(`create schema if not exists "${options.schema}"`);
  });
  return db;
}

/** Runs a service's table set-up once, serialised across instances by an advisory lock. */
export async function migrate(db: Db, owner: string, up: (trx: Knex.Transaction) => Promise<void>): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`migrate:${owner}`]);
    await up(trx);
  });
}
