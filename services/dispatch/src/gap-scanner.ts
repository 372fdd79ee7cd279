import type { Clock, Logger } from '@cr/core';
import { TOPICS } from '@cr/kafka';
import type { Db } from '@cr/runtime';
import { missingFields, surfaceRequestFor, type Workspace } from '@cr/world-model';
import { DISPATCH_EVENTS, type DispatchMetrics } from './metrics.ts';
import { enqueue } from './outbox.ts';
import { textArray } from './sql.ts';

interface GapRow { entity_id: string; requirement: string; fields: Record<string, unknown> }

/**
 * One scan of one workspace: ONE query joins the workspace's entities with the
 * appointments that name them, as they are now (a cancellation counts at once),
 * and finds, per requirement, the entities that lack required fields and were
 * not surfaced within the cooldown. Each gap becomes a surface request on
 * `surfaces.requests`, written to the outbox with the cooldown mark in one
 * transaction; one instance scans a workspace at a time (advisory lock).
 */
export const GAP_QUERY = `
  with req as (
    select * from jsonb_to_recordset(?::jsonb) as r(id text, entity_type text, fields text[], within_ms bigint)
  ), gaps as (
    select e.entity_id, req.id as requirement, e.fields
    from dispatch_entities e
    join req on req.entity_type = e.entity_type
    where not e.deleted
      and (cardinality(?::text[]) = 0 or e.data_sources && ?::text[])
      and exists (select 1 from unnest(req.fields) f where coalesce(e.fields -> f, 'null'::jsonb) in ('null'::jsonb, '""'::jsonb, '[]'::jsonb))
      and (req.within_ms is null or exists (
        select 1 from dispatch_entities a
        where a.entity_type = 'Appointment' and not a.deleted
          and (a.patient_keys && e.ref_keys or a.patient_entity = e.entity_id)
          and a.starts_at >= ? and a.starts_at < ? + req.within_ms
          and coalesce(a.status, '') <> all(?::text[])))
      and not exists (
        select 1 from dispatch_gap_scans s
        where s.workspace_id = ? and s.entity_id = e.entity_id and s.surfaced_at > ?)
  ), picked as (
    select distinct entity_id from gaps order by entity_id limit ?
  )
  select gaps.* from gaps join picked using (entity_id) order by gaps.entity_id, gaps.requirement`;

export function createGapScan(o: { db: Db; workspace: Workspace; clock: Clock; logger: Logger; metrics: DispatchMetrics }): () => Promise<void> {
  const w = o.workspace;
  const g = w.gapScanner;
  const log = o.logger.child({ component: 'gap-scanner', workspaceId: w.id });
  const requirements = JSON.stringify(g.requirements.map((r) => ({ id: r.id, entity_type: r.entityType, fields: r.requiredFields, within_ms: r.upcomingAppointmentWithin ?? null })));
  const byId = new Map(g.requirements.map((r) => [r.id, r]));

  return async () => {
    const now = o.clock.now().getTime();
    const surfaced = await o.db.transaction(async (trx) => {
      const { rows: [lock] } = await trx.raw<{ rows: { ok: boolean }[] }>('select pg_try_advisory_xact_lock(hashtext(?)) as ok', [`dispatch-gaps:${w.id}`]);
      if (!lock?.ok) return undefined;
      const { rows } = await trx.raw<{ rows: GapRow[] }>(GAP_QUERY, [
        requirements, textArray(w.dataSources), textArray(w.dataSources), now, now, textArray(g.inactiveAppointmentStatuses), w.id, now - g.cooldown, g.batchSize,
      ]);
      const requests = rows.flatMap((r) => {
        const requirement = byId.get(r.requirement)!;
        const missing = missingFields(r.fields, requirement.requiredFields);
        return missing.length ? [surfaceRequestFor({ workspaceId: w.id, requirement, entityId: r.entity_id, missing, at: now })] : [];
      });
      await enqueue(trx, requests.map((s) => ({ topic: TOPICS.surfaceRequests, key: s.entityId, value: s })));
      const entities = [...new Set(requests.map((s) => s.entityId))];
      if (entities.length) {
        await trx('dispatch_gap_scans').insert(entities.map((entity_id) => ({ workspace_id: w.id, entity_id, surfaced_at: now })))
          .onConflict(['workspace_id', 'entity_id']).merge(['surfaced_at']);
      }
      return requests.length;
    });
    if (surfaced === undefined) return;
    o.metrics.gapScans.inc({ workspace: w.id });
    if (surfaced) o.metrics.surfaces.inc({ workspace: w.id }, surfaced);
    log.info({ surfaced }, DISPATCH_EVENTS.gapScan);
  };
}
