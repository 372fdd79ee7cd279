import type { Db } from '@cr/runtime';
import type { EntityState, FieldChange } from '@cr/world-model';
import { HttpError } from '../http.ts';

/**
 * Reads of the projection's read model (`entity_state`), which the api reads
 * and never writes. Until the projection has created it, reads answer 503.
 */
export interface EntityReads {
  get(entityType: string | undefined, entityId: string): Promise<EntityState | undefined>;
  history(entityId: string): Promise<FieldChange[] | undefined>;
  search(q: EntitySearch): Promise<EntityState[]>;
}

export interface EntitySearch {
  type?: string | undefined;
  /** `system|value` or a bare value. */
  identifier?: string | undefined;
  /** A source record: dataSourceId and externalId (resource type optional). */
  sourceRef?: { dataSourceId: string; resourceType?: string | undefined; externalId: string } | undefined;
  /** Prefix of the family or a given name, case-insensitive. */
  name?: string | undefined;
  birthDate?: string | undefined;
  /** E.164. */
  phone?: string | undefined;
  includeDeleted?: boolean;
  limit: number;
  offset?: number;
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (/relation .* does not exist/.test(String(error))) throw new HttpError(503, 'not_ready', 'the read model is not built yet');
    throw error;
  }
}

const likePrefix = (s: string): string => `${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createEntityReads(db: Db): EntityReads {
  return {
    get: (entityType, entityId) => guard(async () => {
      const q = db('entity_state').where({ entity_id: entityId });
      if (entityType) q.andWhere({ entity_type: entityType });
      const row = await q.first('state');
      return (row?.state ?? undefined) as EntityState | undefined;
    }),

    history: (entityId) => guard(async () => {
      const row = await db('entity_state').where({ entity_id: entityId }).first('history');
      return (row?.history ?? undefined) as FieldChange[] | undefined;
    }),

    search: (s) => guard(async () => {
      const q = db('entity_state').select('state').orderBy('entity_id').limit(s.limit).offset(s.offset ?? 0);
      if (s.type) q.where({ entity_type: s.type });
      if (!s.includeDeleted) q.where({ deleted: false });
      if (s.identifier) {
        const bar = s.identifier.indexOf('|');
        const want = bar >= 0 ? { ...(bar > 0 ? { system: s.identifier.slice(0, bar) } : {}), value: s.identifier.slice(bar + 1) } : { value: s.identifier };
        q.whereRaw('identifiers @> ?::jsonb', [JSON.stringify([want])]);
      }
      if (s.sourceRef) {
        const { dataSourceId, resourceType, externalId } = s.sourceRef;
        q.whereRaw("state->'sourceRefs' @> ?::jsonb", [JSON.stringify([{ dataSourceId, externalId, ...(resourceType ? { resourceType } : {}) }])]);
      }
      if (s.birthDate) q.whereRaw('fields @> ?::jsonb', [JSON.stringify({ birthDate: s.birthDate })]);
      if (s.phone) q.whereRaw('fields @> ?::jsonb', [JSON.stringify({ phone: s.phone })]);
      if (s.name) {
        const like = likePrefix(s.name);
        q.where((w) => {
          w.whereRaw("lower(fields->>'name.family') like ?", [like])
            .orWhereRaw("exists (select 1 from jsonb_array_elements_text(case jsonb_typeof(fields->'name.given') when 'array' then fields->'name.given' when 'string' then jsonb_build_array(fields->'name.given') else '[]'::jsonb end) g where lower(g) like ?)", [like]);
        });
      }
      const rows = await q;
      return rows.map((r: { state: EntityState }) => r.state);
    }),
  };
}
