import type { Db } from '@cr/runtime';
import type { Approvals } from '@cr/world-model';

/** What the sink reads of review.tasks and review.decisions (fields it does not know are ignored). */
export interface TaskSeen { taskId: string; entityId: string; eventIds: string[] }
export interface DecisionSeen { decisionId: string; taskId: string; entityId: string; approved: boolean; decidedAt: number; eventIds?: string[] | null }

/**
 * Operators' decisions, per sink: which events of an entity were approved or
 * rejected. A decision names its events, or covers the task's (every event the
 * task ever held); with neither known it covers the entity up to its time.
 */
export interface ApprovalStore {
  recordTask(task: TaskSeen): Promise<void>;
  /** Returns the entity the decision is about. */
  recordDecision(decision: DecisionSeen): Promise<string>;
  forEntity(entityId: string): Promise<Approvals>;
}

export function createApprovalStore(db: Db, sinkId: string): ApprovalStore {
  return {
    async recordTask(task) {
      await db.raw(`
        insert into sink_review_tasks as t (sink_id, task_id, entity_id, event_ids) values (?, ?, ?, ?::jsonb)
        on conflict (sink_id, task_id) do update set
          event_ids = (select coalesce(jsonb_agg(distinct x), '[]'::jsonb) from jsonb_array_elements_text(t.event_ids || excluded.event_ids) as x)`,
      [sinkId, task.taskId, task.entityId, JSON.stringify(task.eventIds)]);
    },

    async recordDecision(d) {
      let events = d.eventIds?.length ? d.eventIds : [];
      if (events.length === 0) {
        const task = await db('sink_review_tasks').where({ sink_id: sinkId, task_id: d.taskId }).first('event_ids');
        events = (task?.event_ids as string[] | undefined) ?? [];
      }
      const keys = events.length ? events : [''];
      for (const eventId of keys) {
        // The latest decision on an event wins; a replayed older one changes nothing.
        await db.raw(`
          insert into sink_approvals as a (sink_id, entity_id, event_id, approved, decided_at, decision_id) values (?, ?, ?, ?, ?, ?)
          on conflict (sink_id, entity_id, event_id) do update set approved = excluded.approved, decided_at = excluded.decided_at, decision_id = excluded.decision_id
            where a.decided_at <= excluded.decided_at`,
        [sinkId, d.entityId, eventId, d.approved, d.decidedAt, d.decisionId]);
      }
      return d.entityId;
    },

    async forEntity(entityId) {
      const rows = await db('sink_approvals').where({ sink_id: sinkId, entity_id: entityId });
      const events = new Map<string, boolean>();
      let entity: Approvals['entity'];
      for (const r of rows as Array<{ event_id: string; approved: boolean; decided_at: string }>) {
        if (r.event_id === '') entity = { approved: r.approved, at: Number(r.decided_at) };
        else events.set(r.event_id, r.approved);
      }
      return { events, ...(entity ? { entity } : {}) };
    },
  };
}
