import type { Db } from '@cr/runtime';
import { patientReferenceKeys, plainFields, type EntityState, type EntityView } from '@cr/world-model';
import { textArray } from './sql.ts';

export interface EntityRow extends EntityView { version: number }

export interface ReadModel {
  /** Stores a projected state unless an older one; returns the entity as the planners see it, or null when stale. */
  apply(state: EntityState): Promise<EntityRow | null>;
  /** An entity's state was deleted from the compacted topic (tombstone). */
  remove(entityId: string): Promise<EntityRow | null>;
  get(entityId: string): Promise<EntityRow | null>;
  /** The patient a task names: by entity id, or by a source reference (`ehr-a/Patient/123`). */
  patient(entityId: string | null, refs: readonly string[]): Promise<EntityRow | null>;
  /** Patients of a workspace (empty list: all), in pages by entity id. */
  patients(dataSources: readonly string[], after: string, limit: number): Promise<EntityRow[]>;
}

interface Row { entity_id: string; entity_type: string; version: string; fields: Record<string, unknown>; data_sources: string[]; deleted: boolean }

const view = (r: Row): EntityRow => ({
  entityId: r.entity_id, entityType: r.entity_type, version: Number(r.version), fields: r.fields, dataSources: r.data_sources, deleted: r.deleted,
});

const timeOf = (v: unknown): number | null => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : null);

/**
 * Dispatch's read model of `entity.state`, for the entity types it plans from
 * (patients, appointments, rule anchors). Keeps what the gap scanner joins on in
 * columns: the entity's source keys, the patient an appointment names, its start and status.
 */
export function createReadModel(db: Db, types: ReadonlySet<string>): ReadModel {
  return {
    async apply(state) {
      if (!types.has(state.entityType)) return null;
      const fields = plainFields(state);
      const dataSources = [...new Set(state.sourceRefs.map((r) => r.dataSourceId))].sort();
      const refKeys = [...new Set(state.sourceRefs.map((r) => `${r.dataSourceId}/${r.resourceType}/${r.externalId}`))].sort();
      const patient = typeof fields.patient === 'string' && fields.patient ? patientReferenceKeys(fields.patient, dataSources) : { entityId: null, refs: [] };
      const { rows } = await db.raw<{ rows: Row[] }>(`
        insert into dispatch_entities as e (entity_id, entity_type, version, fields, data_sources, ref_keys, patient_keys, patient_entity, starts_at, status, deleted)
        values (?, ?, ?, ?::jsonb, ?::text[], ?::text[], ?::text[], ?, ?, ?, ?)
        on conflict (entity_id) do update set
          entity_type = excluded.entity_type, version = excluded.version, fields = excluded.fields,
          -- a deleted entity may have no source left: keep the workspace it was in, so its tasks are found and cancelled
          data_sources = case when cardinality(excluded.data_sources) = 0 then e.data_sources else excluded.data_sources end,
          ref_keys = excluded.ref_keys, patient_keys = excluded.patient_keys, patient_entity = excluded.patient_entity,
          starts_at = excluded.starts_at, status = excluded.status, deleted = excluded.deleted
        where e.version <= excluded.version
        returning entity_id, entity_type, version, fields, data_sources, deleted`,
      [state.entityId, state.entityType, state.version, JSON.stringify(fields), textArray(dataSources), textArray(refKeys), textArray(patient.refs), patient.entityId,
        timeOf(fields.start), typeof fields.status === 'string' ? fields.status : null, state.deleted]);
      return rows[0] ? view(rows[0]) : null;
    },

    async remove(entityId) {
      const { rows } = await db.raw<{ rows: Row[] }>(`
        update dispatch_entities set deleted = true where entity_id = ?
        returning entity_id, entity_type, version, fields, data_sources, deleted`, [entityId]);
      return rows[0] ? view(rows[0]) : null;
    },

    async get(entityId) {
      const row = await db('dispatch_entities').where({ entity_id: entityId }).first() as Row | undefined;
      return row ? view(row) : null;
    },

    async patient(entityId, refs) {
      if (!entityId && refs.length === 0) return null;
      const { rows } = await db.raw<{ rows: Row[] }>(`
        select * from dispatch_entities
        where entity_type = 'Patient' and not deleted and (entity_id = ? or ref_keys && ?::text[])
        order by (entity_id = ?) desc, version desc limit 1`, [entityId ?? '', textArray(refs), entityId ?? '']);
      return rows[0] ? view(rows[0]) : null;
    },

    async patients(dataSources, after, limit) {
      const { rows } = await db.raw<{ rows: Row[] }>(`
        select * from dispatch_entities
        where entity_type = 'Patient' and entity_id > ? and (cardinality(?::text[]) = 0 or data_sources && ?::text[])
        order by entity_id limit ?`, [after, textArray(dataSources), textArray(dataSources), limit]);
      return rows.map(view);
    },
  };
}
