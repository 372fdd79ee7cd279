import { compositeKey } from '@cr/kafka';
import { migrate, type Db } from '@cr/runtime';

/**
 * Ingest's private state: the content hash last sent per source record (dedupe),
 * and small checkpoints per data source under a key: the `_lastUpdated` cursor
 * (`Patient`), the last full cycle (`Patient#full`), a processed file
 * (`file:<name>` = its content hash), a Bulk Data job (`bulk:job`, `bulk:since`).
 */
export interface IngestStore {
  /** The last content hash sent per record of one data source, keyed `compositeKey(resourceType, externalId)`: one query for a page of records. */
  lastHashes(dataSourceId: string, records: readonly { resourceType: string; externalId: string }[]): Promise<Map<string, string>>;
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
    async lastHashes(dataSourceId, records) {
      const out = new Map<string, string>();
      if (!records.length) return out;
      const rows = await db('ingest_seen')
        .where({ data_source_id: dataSourceId })
        .whereIn(['resource_type', 'external_id'], records.map((r) => [r.resourceType, r.externalId]))
        .select('resource_type', 'external_id', 'content_hash') as { resource_type: string; external_id: string; content_hash: string }[];
      for (const r of rows) out.set(compositeKey(r.resource_type, r.external_id), r.content_hash);
      return out;
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
