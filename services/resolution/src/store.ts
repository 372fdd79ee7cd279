import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { deterministicId, TransportError } from '@cr/core';
import type { Db } from '@cr/runtime';
import {
  DEFAULT_DECIDE, matchRecord, probeKeys, sourceKey,
  type DecideOptions, type EntityLinks, type MatchRecord, type Resolution, type ResolvedEvent, type UnlinkRequest, type WorldEvent,
} from '@cr/world-model';
import { Engine, type Effects, type EntityRow, type MemberRow, type Snapshot } from './engine.ts';
import { migrateResolution } from './tables.ts';

/** One record's outputs, in order. */
export interface Outputs {
  resolved: ResolvedEvent[];
  links: EntityLinks[];
}

export interface ResolveStats {
  newEntities: number;
  links: Record<string, number>;
  merges: number;
}

export interface ResolutionStore {
  /** Resolves a batch of events in one transaction; outputs per event, in order. */
  resolveBatch(events: readonly WorldEvent[]): Promise<{ outputs: Outputs[]; stats: ResolveStats }>;
  /** Applies an operator's unlink; throws UnlinkNotApplicable when it does not fit (yet). */
  unlink(req: UnlinkRequest): Promise<Outputs>;
  /** Entity of each source record (for tests, tools and the benchmark). */
  entityOf(sourceKeys: readonly string[]): Promise<Map<string, string>>;
}

export interface ResolutionStoreOptions {
  decide?: Partial<Omit<DecideOptions, 'cannotLink'>>;
  /** Seconds spent per phase of each batch (the benchmark prints them). */
  onPhase?: (phase: 'lock' | 'load' | 'decide' | 'write' | 'outputs', seconds: number) => void;
  /** A blocking key shared by more records than this is a stop word and is ignored (exact keys never are). */
  maxPerKey?: number;
}

/** The request names records that are not (yet) in the entity. */
export class UnlinkNotApplicable extends Error {
  override readonly name = 'UnlinkNotApplicable';
}

/** Deterministic: the entity a record founds gets an id from that record alone (same on every replay). */
export function entityIdFor(entityType: string, key: string): string {
  return `ent-${deterministicId('entity', `${entityType}:src:${key}`)}`;
}

/** The entity a record gets when an operator splits it off the entity it founded. */
export function splitEntityIdFor(entityType: string, key: string, from: string): string {
  return `ent-${deterministicId('entity-split', `${entityType}:src:${key}`, from)}`;
}

/** 64-bit hash of an index key, as Postgres bigint text. Collisions only add candidates, which are then compared. */
export function keyHash(key: string): string {
  return createHash('sha1').update(key).digest().readBigInt64BE(0).toString();
}

const RETRIABLE_PG = new Set(['40001', '40P01', '53300', '57P01', '57P03', '08000', '08001', '08003', '08006', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT']);

/** Database trouble is worth a retry; anything else is not the record's fault either, but retrying will not help. */
async function retriable<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code && RETRIABLE_PG.has(code)) throw new TransportError(`${what}: database ${code}`, { cause: error });
    if (error instanceof Error && /Knex: Timeout acquiring a connection|Connection terminated/.test(error.message)) throw new TransportError(`${what}: ${error.message}`, { cause: error });
    throw error;
  }
}

interface MemberDbRow {
  source_key: string; entity_id: string; entity_type: string; record: MatchRecord; tier: number; rule: string; score: number;
  features: string[]; linked_seq: string; linked_at: string; first_event_id: string;
}
interface EntityDbRow { entity_id: string; entity_type: string; created_seq: string; founder: string; revision: number; alive: boolean }

const toMember = (r: MemberDbRow): MemberRow => ({
  sourceKey: r.source_key, entityId: r.entity_id, entityType: r.entity_type, record: r.record, tier: r.tier, rule: r.rule,
  score: Number(r.score), features: r.features, linkedSeq: Number(r.linked_seq), linkedAt: Number(r.linked_at), firstEventId: r.first_event_id,
});
const toEntity = (r: EntityDbRow): EntityRow => ({
  entityId: r.entity_id, entityType: r.entity_type, createdSeq: Number(r.created_seq), founder: r.founder, revision: r.revision, alive: r.alive,
});

export async function createResolutionStore(db: Db, options: ResolutionStoreOptions = {}): Promise<ResolutionStore> {
  await migrateResolution(db);
  const decideOptions = { ...DEFAULT_DECIDE, ...options.decide };
  const maxPerKey = options.maxPerKey ?? 64;

  async function lockTypes(trx: Knex.Transaction, types: Iterable<string>): Promise<void> {
    // One writer per entity type at a time: decisions read and write overlapping keys.
    for (const t of [...new Set(types)].sort()) await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 4))', [`resolution:${t}`]);
  }

  async function seqs(trx: Knex.Transaction, n: number): Promise<number[]> {
    const r = await trx.raw('select nextval(\'resolution_seq\') as v from generate_series(1, ?)', [n]);
    return (r.rows as { v: string }[]).map((x) => Number(x.v));
  }

  /** Loads everything the records can touch: entities sharing a key with them, all their members, constraints. */
  async function snapshot(trx: Knex.Transaction, records: readonly MatchRecord[], eventIds: readonly string[], extraEntities: readonly string[] = []): Promise<Snapshot> {
    const keyMembers = new Map<string, Set<string>>();
    const byHash = new Map<string, string[]>();
    for (const r of records) {
      for (const k of probeKeys(r)) {
        if (keyMembers.has(k)) continue;
        keyMembers.set(k, new Set());
        const h = keyHash(k);
        byHash.set(h, [...(byHash.get(h) ?? []), k]);
      }
    }
    const entityIds = new Set<string>(extraEntities);
    for (const r of records) entityIds.add(entityIdFor(r.entityType, r.sourceKey));
    // The records themselves (a new version of a known record) and every record behind the probed keys.
    const wanted = new Set<string>(records.map((r) => r.sourceKey));
    if (byHash.size) {
      // Every record behind the probed keys, in one index pass; then their entities by primary key.
      const hits = (await trx.raw('select key_hash::text as h, source_key from resolution_key where key_hash = any(?::bigint[])', [[...byHash.keys()]])).rows as { h: string; source_key: string }[];
      const perHash = new Map<string, string[]>();
      for (const row of hits) perHash.set(row.h, [...(perHash.get(row.h) ?? []), row.source_key]);
      for (const [h, keys] of perHash) {
        for (const k of byHash.get(h) ?? []) {
          // A blocking key shared by very many records is a stop word: it finds nothing worth comparing.
          if (keys.length > maxPerKey && k.includes('|b.')) continue;
          for (const sk of keys) { keyMembers.get(k)!.add(sk); wanted.add(sk); }
        }
      }
    }
    // Every member of every entity those records belong to (one statement), then the entities.
    // One connection per transaction: the statements go one after the other.
    const memberRows = await trx.raw(
      // As an array parameter (not `in (subquery)`), so the planner looks the entities up by index.
      `select * from resolution_member where entity_id = any(
         (select coalesce(array_agg(distinct entity_id), '{}') from resolution_member where source_key = any(?::text[])) || ?::text[])
       order by linked_seq`,
      [[...wanted], [...entityIds]],
    ).then((r) => r.rows as MemberDbRow[]);
    for (const m of memberRows) entityIds.add(m.entity_id);
    const entityRows = await trx.raw('select * from resolution_entity where entity_id = any(?::text[])', [[...entityIds]]).then((r) => r.rows as EntityDbRow[]);
    const seenRows = eventIds.length
      ? await trx.raw('select event_id, effects from resolution_event where event_id = any(?::text[])', [[...eventIds]]).then((r) => r.rows as { event_id: string; effects: Effects }[])
      : [];
    const members = new Map(memberRows.map((r) => [r.source_key, toMember(r)]));
    const involved = [...new Set([...records.map((r) => r.sourceKey), ...members.keys()])];
    const pairs = involved.length ? await trx.raw('select a, b from resolution_cannot_link where a = any(?::text[])', [involved]).then((r) => r.rows as { a: string; b: string }[]) : [];
    const cannotLink = new Set(pairs.map((p) => (p.a < p.b ? `${p.a}\u0000${p.b}` : `${p.b}\u0000${p.a}`)));
    return {
      keyMembers, members, cannotLink,
      entities: new Map(entityRows.map((r) => [r.entity_id, toEntity(r)])),
      seen: new Map(seenRows.map((r) => [r.event_id, r.effects])),
    };
  }

  /**
   * Writes the batch's changes. Rows travel as one JSON document per table
   * (`json_to_recordset`): serialised natively, parsed by Postgres in C, one
   * statement per table whatever the batch size.
   */
  async function persist(trx: Knex.Transaction, engine: Engine): Promise<void> {
    const c = engine.changes;
    /** `columns`: "name type, ..." as in the JSON rows and the table alike. */
    const rows = (table: string, columns: string, values: unknown[], conflict: string): Promise<unknown> | undefined => {
      if (!values.length) return undefined;
      const names = columns.split(',').map((c) => c.trim().split(/\s+/)[0]).join(', ');
      return trx.raw(`insert into ${table} (${names}) select ${names} from json_to_recordset(?::json) as x(${columns}) ${conflict}`, [JSON.stringify(values)]);
    };
    await rows('resolution_entity', 'entity_id text, entity_type text, created_seq bigint, founder text, revision int, alive bool',
      [...c.entities.values()].map((e) => ({ entity_id: e.entityId, entity_type: e.entityType, created_seq: e.createdSeq, founder: e.founder, revision: e.revision, alive: e.alive })),
      'on conflict (entity_id) do update set founder = excluded.founder, revision = excluded.revision, alive = excluded.alive');
    await rows('resolution_member', 'source_key text, entity_id text, entity_type text, record jsonb, tier int, rule text, score float8, features jsonb, linked_seq bigint, linked_at bigint, first_event_id text',
      [...c.members.values()].map((m) => ({
        source_key: m.sourceKey, entity_id: m.entityId, entity_type: m.entityType, record: m.record, tier: m.tier, rule: m.rule, score: m.score,
        features: m.features, linked_seq: m.linkedSeq, linked_at: m.linkedAt, first_event_id: m.firstEventId,
      })),
      `on conflict (source_key) do update set entity_id = excluded.entity_id, record = excluded.record, tier = excluded.tier, rule = excluded.rule,
         score = excluded.score, features = excluded.features`);
    const seen = new Set<string>();
    const keys: Array<{ key_hash: string; source_key: string }> = [];
    for (const [k, sk] of c.keys) {
      const h = keyHash(k);
      const id = `${h}\u0000${sk}`;
      if (seen.has(id)) continue;
      seen.add(id);
      keys.push({ key_hash: h, source_key: sk });
    }
    await rows('resolution_key', 'key_hash bigint, source_key text', keys, 'on conflict do nothing');
    // The event as JSON text: only ever read back whole.
    await rows('resolution_event', 'event_id text, source_key text, event text, effects jsonb',
      c.events.map((e) => ({ event_id: e.event.eventId, source_key: e.sourceKey, event: JSON.stringify(e.event), effects: e.effects })), 'on conflict do nothing');
    const pairs = c.cannotLink.map((p) => p.split('\u0000') as [string, string]);
    await rows('resolution_cannot_link', 'a text, b text', pairs.flatMap(([a, b]) => [{ a, b }, { a: b, b: a }]), 'on conflict do nothing');
  }

  /** Events of records that moved, re-published under their entity now, oldest first. */
  async function movedEvents(trx: Knex.Transaction, engine: Engine, keys: readonly string[]): Promise<Map<string, ResolvedEvent[]>> {
    const out = new Map<string, ResolvedEvent[]>();
    if (keys.length === 0) return out;
    const rows = await trx.raw('select source_key, event from resolution_event where source_key = any(?::text[]) order by seq', [[...new Set(keys)]])
      .then((r) => (r.rows as { source_key: string; event: string }[]).map((x) => ({ source_key: x.source_key, event: JSON.parse(x.event) as WorldEvent })));
    for (const row of rows) {
      const m = engine.member(row.source_key);
      if (!m) continue;
      const resolution: Resolution = { tier: m.tier, rule: m.rule, score: m.score, features: m.features };
      out.set(row.source_key, [...(out.get(row.source_key) ?? []), { entityId: m.entityId, event: row.event, resolution }]);
    }
    return out;
  }

  return {
    async resolveBatch(events) {
      if (events.length === 0) return { outputs: [], stats: { newEntities: 0, links: {}, merges: 0 } };
      return retriable('resolve batch', () => db.transaction(async (trx) => {
        let t = performance.now();
        const phase = (name: Parameters<NonNullable<ResolutionStoreOptions['onPhase']>>[0]): void => {
          const now = performance.now();
          options.onPhase?.(name, (now - t) / 1000);
          t = now;
        };
        await lockTypes(trx, events.map((e) => e.entityType));
        phase('lock');
        const records = events.map(matchRecord);
        const snap = await snapshot(trx, records, events.map((e) => e.eventId));
        const seq = await seqs(trx, events.length);
        phase('load');
        const engine = new Engine(snap, { decide: decideOptions, idFor: entityIdFor, splitIdFor: splitEntityIdFor });
        const results = events.map((e, i) => engine.resolve(e, seq[i]!, records[i]));
        phase('decide');
        await persist(trx, engine);
        phase('write');
        const moved = await movedEvents(trx, engine, results.flatMap((r) => r.effects.moved));

        // Each entity's links once per batch, with the last record that changed it.
        const lastTouch = new Map<string, number>();
        results.forEach((r, i) => { for (const id of r.effects.links) lastTouch.set(id, i); });
        const stats: ResolveStats = { newEntities: 0, links: {}, merges: 0 };
        const outputs = results.map((r, i): Outputs => {
          const event = events[i]!;
          if (!r.replay) {
            if (r.resolution.rule === 'new-entity') stats.newEntities++;
            else stats.links[r.resolution.rule] = (stats.links[r.resolution.rule] ?? 0) + 1;
            if (r.effects.moved.length) stats.merges++;
          }
          // Under the entity the record belongs to now (a later record of the batch may have merged it).
          const resolved: ResolvedEvent[] = [{ entityId: engine.entityOf(sourceKey(event.source)) ?? r.entityId, event, resolution: r.resolution }];
          for (const k of r.effects.moved) resolved.push(...(moved.get(k) ?? []));
          const merged = r.effects.moved.length > 0;
          const links = r.effects.links.filter((id) => lastTouch.get(id) === i).map((id) => {
            const reason = !merged ? r.resolution.rule : id === r.effects.links[0] ? `merged ${r.effects.links.slice(1).join(',')}` : `merged into ${r.effects.links[0]}`;
            return engine.linksOf(id, merged ? 'merge' : 'link', reason);
          });
          return { resolved, links };
        });
        phase('outputs');
        return { outputs, stats };
      }));
    },

    async unlink(req) {
      return retriable('unlink', () => db.transaction(async (trx) => {
        await lockTypes(trx, [req.entityType]);
        const done = await trx('resolution_unlink').where({ request_id: req.requestId }).first('effects') as { effects: Effects } | undefined;
        const memberRows = await trx('resolution_member').where({ entity_id: req.entityId }).select('record') as { record: MatchRecord }[];
        // Every record of the entity (and, on a re-delivery, of both sides), and the entities they could found.
        const snap = await snapshot(trx, memberRows.map((r) => r.record), [], [req.entityId, ...(done?.effects.links ?? [])]);
        const engine = new Engine(snap, { decide: decideOptions, idFor: entityIdFor, splitIdFor: splitEntityIdFor });
        let effects: Effects;
        if (done) {
          effects = done.effects;
        } else {
          const [seq] = await seqs(trx, 1);
          const result = engine.unlink(req, seq!);
          if ('noop' in result) throw new UnlinkNotApplicable(`unlink ${req.requestId}: ${result.noop}`);
          effects = result.effects;
          await persist(trx, engine);
          await trx('resolution_unlink').insert({ request_id: req.requestId, entity_id: req.entityId, effects: JSON.stringify(effects), applied_at: Date.now() });
        }
        const moved = await movedEvents(trx, engine, effects.moved);
        const reason = `unlinked by operator:${req.operator}${req.reason ? `: ${req.reason}` : ''}`;
        return {
          resolved: effects.moved.flatMap((k) => moved.get(k) ?? []),
          links: effects.links.map((id) => engine.linksOf(id, 'unlink', reason)),
        };
      }));
    },

    async entityOf(keys) {
      const out = new Map<string, string>();
      for (let i = 0; i < keys.length; i += 10_000) {
        const rows = await db('resolution_member').whereIn('source_key', keys.slice(i, i + 10_000)).select('source_key', 'entity_id') as { source_key: string; entity_id: string }[];
        for (const r of rows) out.set(r.source_key, r.entity_id);
      }
      return out;
    },
  };
}
