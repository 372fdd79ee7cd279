import { migrate, type Db } from '@cr/runtime';

/**
 * Ingest's private state: the content hash last sent per source record (dedupe),
 * and small checkpoints per data source under a key: the `_lastUpdated` cursor
 * (`Patient`), the last full cycle (`Patient#full`), a processed file
 * (`file:<name>` = its content hash), a Bulk Data job (`bulk:job`, `bulk:since`).
 */
export interface IngestStore {
  unchanged(dataSourceId: string, resourceType: string, externalId: string, contentHash: string): Promise<boolean>;
  remember(rows: { dataSourceId: string; resourceType: string; externalId: string; contentHash: string }[]): Promise<void>;
  cursor(dataSourceId: string, resourceType: string): Promise<string | undefined>;
  saveCursor(dataSourceId: string, resourceType: string, cursor: string): Promise<void>;
}

export async function createIngestStore(db: Db): Promise<IngestStore> {
  await migrate(db, 'ingest', async (trx) => {
    if (!(await trx.schema.hasTable('ingest_seen'))) {
      await trx.schema.createTable('ingest_seen', (t) => {
        t.text('data_source_id').notNullable();
        t.text('resource_type').notNullable();
        t.text('external_id').notNullable();
        t.text('content_hash').notNullable();
        t.timestamp('seen_at', { useTz: true }).notNullable().defaultTo(trx.fn.now());
        t.primary(['data_source_id', 'resource_type', 'external_id']);
      });
    }
    if (!(await trx.schema.hasTable('ingest_cursor'))) {
      await trx.schema.createTable('ingest_cursor', (t) => {
        t.text('data_source_id').notNullable();
        t.text('resource_type').notNullable();
        t.text('cursor').notNullable();
        t.primary(['data_source_id', 'resource_type']);
      });
    }
  });
  return {
    async unchanged(dataSourceId, resourceType, externalId, contentHash) {
      const row = await db('ingest_seen').where({ data_source_id: dataSourceId, resource_type: resourceType, external_id: externalId }).first('content_hash');
      return row?.content_hash === contentHash;
    },
    async remember(rows) {
      if (!rows.length) return;
      await db('ingest_seen')
        .insert(rows.map((r) => ({ data_source_id: r.dataSourceId, resource_type: r.resourceType, external_id: r.externalId, content_hash: r.contentHash, seen_at: db.fn.now() })))
        .onConflict(['data_source_id', 'resource_type', 'external_id']).merge(['content_hash', 'seen_at']);
    },
    async cursor(dataSourceId, resourceType) {
      const row = await db('ingest_cursor').where({ data_source_id: dataSourceId, resource_type: resourceType }).first('cursor');
      return row?.cursor as string | undefined;
    },
    async saveCursor(dataSourceId, resourceType, cursor) {
      await db('ingest_cursor').insert({ data_source_id: dataSourceId, resource_type: resourceType, cursor })
        .onConflict(['data_source_id', 'resource_type']).merge(['cursor']);
    },
  };
}
