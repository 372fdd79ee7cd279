import type { Clock, Logger } from '@cr/core';
import type { Db } from '@cr/runtime';
import type { Workspace } from '@cr/world-model';
import { DISPATCH_EVENTS } from './metrics.ts';
import type { Planner } from './planner.ts';
import type { ReadModel } from './read-model.ts';

const PAGE = 500;

/**
 * A campaign added to a workspace reaches the patients already known, once:
 * one sweep per campaign (one instance at a time, recorded in
 * dispatch_campaigns). Patients that arrive or change later are planned as
 * their state comes in.
 */
export function createCampaignSweep(o: { db: Db; workspaces: readonly Workspace[]; readModel: ReadModel; planner: Planner; clock: Clock; logger: Logger }): () => Promise<void> {
  const log = o.logger.child({ component: 'campaigns' });
  return async () => {
    for (const w of o.workspaces) {
      for (const c of w.campaigns) {
        const key = { workspace_id: w.id, campaign_id: c.id };
        if (await o.db('dispatch_campaigns').where(key).first('campaign_id')) continue;
        await o.db.transaction(async (trx) => {
          const { rows: [lock] } = await trx.raw<{ rows: { ok: boolean }[] }>('select pg_try_advisory_xact_lock(hashtext(?)) as ok', [`dispatch-campaign:${w.id}:${c.id}`]);
          if (!lock?.ok || (await trx('dispatch_campaigns').where(key).first('campaign_id'))) return;
          let after = '';
          let patients = 0;
          let tasks = 0;
          for (;;) {
            const page = await o.readModel.patients(w.dataSources, after, PAGE);
            for (const p of page) tasks += await o.planner.onCampaignPatient(w, c.id, p);
            patients += page.length;
            if (page.length < PAGE) break;
            after = page[page.length - 1]!.entityId;
          }
          await trx('dispatch_campaigns').insert({ ...key, swept_at: o.clock.now().getTime() });
          log.info({ workspaceId: w.id, campaignId: c.id, patients, changes: tasks }, DISPATCH_EVENTS.campaignSwept);
        });
      }
    }
  };
}
