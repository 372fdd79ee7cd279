import { deterministicId } from '@cr/core';
import { migrate, type Db } from '@cr/runtime';
import { matchKeys, sourceKey, type EntityLinks, type Resolution, type WorldEvent } from '@cr/world-model';

export interface ResolveOutcome {
  entityId: string;
  resolution: Resolution;
  /** Set when this event first linked its source record to the entity (re-sent on re-delivery). */
  links: EntityLinks | undefined;
}

/**
 * Tier-1 resolution over resolution's own tables: every match key points at one
 * canonical entity. Deterministic for a given order of events; idempotent on
 * re-delivery (the member row remembers which event linked it).
 */
export async function createResolutionStore(db: Db) {
  await migrate(db, 'resolution', async (trx) => {
    if (!(await trx.schema.hasTable('resolution_keys'))) {
      await trx.schema.createTable('resolution_keys', (t) => {
        t.text('match_key').primary();
        t.text('entity_id').notNullable().index();
      });
    }
    if (!(await trx.schema.hasTable('resolution_members'))) {
      await trx.schema.createTable('resolution_members', (t) => {
        t.text('entity_id').notNullable();
        t.text('source_key').notNullable();
        t.text('entity_type').notNullable();
        t.text('rule').notNullable();
        t.double('score').notNullable();
        t.text('first_event_id').notNullable();
        t.bigInteger('linked_at').notNullable();
        t.primary(['entity_id', 'source_key']);
      });
    }
  });

  return {
    async resolve(event: WorldEvent): Promise<ResolveOutcome> {
      const keys = matchKeys(event);
      return db.transaction(async (trx) => {
        // Serialise work on the same keys across instances.
        for (const k of [...keys].sort()) await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [k]);
        const rows: { match_key: string; entity_id: string }[] = await trx('resolution_keys').whereIn('match_key', keys).select('match_key', 'entity_id');
        const found = [...new Set(rows.map((r) => r.entity_id))].sort();
        const entityId = found[0] ?? `ent-${deterministicId('entity', keys[0]!)}`;
        const matchedOn = rows.filter((r) => r.entity_id === entityId).map((r) => r.match_key.split(':')[1] ?? 'key');
        const resolution: Resolution = found.length === 0
          ? { tier: 0, rule: 'new-entity', score: 1, features: [] }
          : { tier: 1, rule: matchedOn.includes('id') ? 'exact-identifier' : 'same-source-record', score: 1, features: [...new Set(matchedOn)].sort() };
        await trx('resolution_keys').insert(keys.map((k) => ({ match_key: k, entity_id: entityId }))).onConflict('match_key').ignore();
        const member = sourceKey(event.source);
        await trx('resolution_members')
          .insert({ entity_id: entityId, source_key: member, entity_type: event.entityType, rule: resolution.rule, score: resolution.score, first_event_id: event.eventId, linked_at: event.recordedAt })
          .onConflict(['entity_id', 'source_key']).ignore();
        const mine = await trx('resolution_members').where({ entity_id: entityId, source_key: member }).first('first_event_id');
        let links: EntityLinks | undefined;
        if (mine?.first_event_id === event.eventId) {
          const members = await trx('resolution_members').where({ entity_id: entityId }).orderBy('linked_at').orderBy('source_key');
          links = {
            entityId, entityType: event.entityType,
            members: members.map((m: { source_key: string; rule: string; score: number; linked_at: string }) => ({ sourceKey: m.source_key, rule: m.rule, score: Number(m.score), features: [], linkedAt: Number(m.linked_at) })),
            change: members.length > 1 ? 'merge' : 'link', changedBy: 'resolution', reason: resolution.rule, revision: members.length,
          };
        }
        return { entityId, resolution, links };
      });
    },
  };
}

