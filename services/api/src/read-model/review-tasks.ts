import { migrate, type Db } from '@cr/runtime';
import type { ReviewTask } from '@cr/world-model';

/**
 * The api's own read model of the human review queue, built from
 * `review.tasks`: one row per task, newest version wins (by updatedAt), so a
 * late copy of an older version never reopens a decided task.
 */
export interface ReviewTaskReads {
  upsert(task: ReviewTask): Promise<void>;
  list(q: { entityType?: string | undefined; status: string; minAgeMs?: number | undefined; maxAgeMs?: number | undefined; limit: number; now: number }): Promise<ReviewTask[]>;
  get(taskId: string): Promise<ReviewTask | undefined>;
  /** Marks a decision at once (before review publishes the task again); false when the task is no longer open. */
  markDecided(taskId: string, next: ReviewTask): Promise<boolean>;
}

const updatedAt = (t: ReviewTask): number => t.updatedAt ?? t.createdAt;

export async function createReviewTaskReads(db: Db): Promise<ReviewTaskReads> {
  await migrate(db, 'api', async (trx) => {
    if (!(await trx.schema.hasTable('api_review_tasks'))) {
      await trx.schema.createTable('api_review_tasks', (t) => {
        t.text('task_id').primary();
        t.text('entity_id').notNullable();
        t.text('entity_type').notNullable();
        t.text('status').notNullable();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
        t.jsonb('task').notNullable();
        t.index(['status', 'entity_type', 'created_at']);
      });
    }
  });

  return {
    async upsert(task) {
      await db.raw(
        `insert into api_review_tasks (task_id, entity_id, entity_type, status, created_at, updated_at, task)
         values (?, ?, ?, ?, ?, ?, ?::jsonb)
         on conflict (task_id) do update set status = excluded.status, updated_at = excluded.updated_at, task = excluded.task
         where api_review_tasks.updated_at <= excluded.updated_at`,
        [task.taskId, task.entityId, task.entityType, task.status, task.createdAt, updatedAt(task), JSON.stringify(task)],
      );
    },

    async list(q) {
      const rows = db('api_review_tasks').where({ status: q.status }).orderBy([{ column: 'created_at' }, { column: 'task_id' }]).limit(q.limit).select('task');
      if (q.entityType) rows.andWhere({ entity_type: q.entityType });
      if (q.minAgeMs !== undefined) rows.andWhere('created_at', '<=', q.now - q.minAgeMs);
      if (q.maxAgeMs !== undefined) rows.andWhere('created_at', '>=', q.now - q.maxAgeMs);
      return (await rows).map((r: { task: ReviewTask }) => r.task);
    },

    async get(taskId) {
      const row = await db('api_review_tasks').where({ task_id: taskId }).first('task');
      return (row?.task ?? undefined) as ReviewTask | undefined;
    },

    async markDecided(taskId, next) {
      const n = await db('api_review_tasks').where({ task_id: taskId, status: 'open' })
        .update({ status: next.status, updated_at: updatedAt(next), task: JSON.stringify(next) });
      return n > 0;
    },
  };
}
