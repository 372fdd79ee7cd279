import type { Db } from '@cr/runtime';
import { referenceKeys, type EntityState } from '@cr/world-model';

/**
 * The latest entity states this sink has seen: what a re-queued entity is synced
 * from, and where dependencies are looked up (by entity id, or by `Type/externalId`
 * of a source record). Derived from entity.state; rebuilt by replaying it.
 */
export interface EntityCopies {
  /** Keeps `state` unless a newer version is already held; returns the latest. */
  save(state: EntityState): Promise<EntityState>;
  get(entityId: string): Promise<EntityState | undefined>;
  /** An entity of `entityType` referenced by id or by `Type/externalId`. */
  find(entityType: string, ref: string): Promise<EntityState | undefined>;
}

export function createEntityCopies(db: Db, sinkId: string): EntityCopies {
  const get = async (entityId: string): Promise<EntityState | undefined> => {
    const r = await db('sink_entities').where({ sink_id: sinkId, entity_id: entityId }).first('state');
    return r ? (r.state as EntityState) : undefined;
  };
  return {
    async save(state) {
      const rows = await db.raw(`
        insert into sink_entities as e (sink_id, entity_id, entity_type, version, state, ref_keys, updated_at)
        values (?, ?, ?, ?, ?::jsonb, ?::text[], now())
        on conflict (sink_id, entity_id) do update set
          entity_type = excluded.entity_type, version = excluded.version, state = excluded.state, ref_keys = excluded.ref_keys, updated_at = now()
          where e.version <= excluded.version
        returning version`,
      [sinkId, state.entityId, state.entityType, state.version, JSON.stringify(state), referenceKeys(state)]);
      if ((rows.rows as unknown[]).length > 0) return state;
      return (await get(state.entityId)) ?? state;
    },
    get,
    async find(entityType, ref) {
      const byId = await get(ref);
      if (byId && byId.entityType === entityType) return byId;
      const key = ref.includes('/') ? ref : `${entityType}/${ref}`;
      const r = await db('sink_entities').where({ sink_id: sinkId, entity_type: entityType })
        .whereRaw('ref_keys @> ?::text[]', [[key]]).orderBy('version', 'desc').first('state');
      return r ? (r.state as EntityState) : undefined;
    },
  };
}
