import { migrate, type Db } from '@cr/runtime';

export interface LedgerEntry {
  entityVersion: number;
  targetId: string | null;
  targetVersion: string | null;
  contentHash: string | null;
}

/** The sink's own ledger: what it last wrote, per sink and entity. */
export async function createLedger(db: Db) {
  await migrate(db, 'sink', async (trx) => {
    if (!(await trx.schema.hasTable('sink_ledger'))) {
      await trx.schema.createTable('sink_ledger', (t) => {
        t.text('sink_id').notNullable();
        t.text('entity_id').notNullable();
        t.bigInteger('entity_version').notNullable();
        t.text('target_id');
        t.text('target_version');
        t.text('content_hash');
        t.text('outcome').notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(trx.fn.now());
        t.primary(['sink_id', 'entity_id']);
      });
    }
  });
  return {
    async get(sinkId: string, entityId: string): Promise<LedgerEntry | undefined> {
      const row = await db('sink_ledger').where({ sink_id: sinkId, entity_id: entityId }).first();
      return row ? { entityVersion: Number(row.entity_version), targetId: row.target_id, targetVersion: row.target_version, contentHash: row.content_hash } : undefined;
    },
    async record(sinkId: string, entityId: string, entry: LedgerEntry, outcome: string): Promise<void> {
      await db('sink_ledger')
        .insert({ sink_id: sinkId, entity_id: entityId, entity_version: entry.entityVersion, target_id: entry.targetId, target_version: entry.targetVersion, content_hash: entry.contentHash, outcome, updated_at: db.fn.now() })
        .onConflict(['sink_id', 'entity_id']).merge();
    },
  };
}

export type Ledger = Awaited<ReturnType<typeof createLedger>>;
