import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { TOPICS } from '@cr/kafka';
import { applyDecision, type ReviewDecision, type ReviewTask } from '@cr/world-model';
import type { ApiDeps } from '../deps.ts';
import { HttpError, queryObject, readJson, validate } from '../http.ts';
import { entityView } from '../read-model/entity-view.ts';
import type { Route } from '../router.ts';
import { entityTypeSchema, limitSchema } from './schemas.ts';

const listSchema = z.object({
  entityType: entityTypeSchema.optional(),
  status: z.enum(['open', 'approved', 'rejected']).default('open'),
  /** Only tasks at least this old (seconds) ... */
  minAgeSeconds: z.coerce.number().int().min(0).optional(),
  /** ... and at most this old. */
  maxAgeSeconds: z.coerce.number().int().min(0).optional(),
  limit: limitSchema,
}).strict();

const taskPath = z.object({ taskId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/) }).strict();

const decisionSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  reason: z.string().min(1).max(1_000).optional(),
  /** The events decided on (default: every event still open on the task). */
  eventIds: z.array(z.string().min(1).max(128)).min(1).max(1_000).optional(),
}).strict();

const decode = (json: string): unknown => { try { return JSON.parse(json) as unknown; } catch { return json; } };

function summary(t: ReviewTask, now: number) {
  return {
    taskId: t.taskId, entityId: t.entityId, entityType: t.entityType, status: t.status, reason: t.reason, judge: t.judge ?? null,
    eventCount: t.eventIds.length, createdAt: new Date(t.createdAt).toISOString(), ageSeconds: Math.max(0, Math.round((now - t.createdAt) / 1000)),
    ...(t.decidedBy ? { decidedBy: t.decidedBy } : {}),
  };
}

/** The human review queue: list, see the evidence, approve or reject. */
export function reviewRoutes(deps: ApiDeps): Route[] {
  const OPERATORS = ['operator', 'admin'] as const;
  return [
    {
      method: 'GET', path: '/v1/review/tasks', roles: [...OPERATORS, 'readonly'],
      async handle({ query }) {
        const q = validate(listSchema, queryObject(query), 'query');
        const now = deps.clock.now().getTime();
        const tasks = await deps.tasks.list({
          entityType: q.entityType, status: q.status, limit: q.limit, now,
          minAgeMs: q.minAgeSeconds === undefined ? undefined : q.minAgeSeconds * 1000,
          maxAgeMs: q.maxAgeSeconds === undefined ? undefined : q.maxAgeSeconds * 1000,
        });
        return { status: 200, body: { tasks: tasks.map((t) => summary(t, now)), count: tasks.length } };
      },
    },
    {
      method: 'GET', path: '/v1/review/tasks/:taskId', roles: [...OPERATORS, 'readonly'],
      async handle({ params, query }) {
        const { taskId } = validate(taskPath, params, 'path');
        validate(z.object({}).strict(), queryObject(query), 'query');
        const task = await deps.tasks.get(taskId);
        if (!task) throw new HttpError(404, 'not_found', `no review task ${taskId}`);
        const entity = await deps.entities.get(task.entityType, task.entityId);
        return {
          status: 200,
          body: {
            task: summary(task, deps.clock.now().getTime()),
            // The evidence: each event with its values and source material, and what the judge found.
            events: (task.evidence ?? []).map((e) => ({
              eventId: e.eventId, origin: e.origin, confidence: e.confidence, observedAt: new Date(e.observedAt).toISOString(),
              dataSourceId: e.dataSourceId, category: e.category,
              values: Object.fromEntries(Object.entries(e.attributes).map(([k, v]) => [k, decode(v)])),
              sourceMaterial: e.sourceMaterial, findings: e.findings,
            })),
            entity: entity ? entityView(entity) : null,
          },
        };
      },
    },
    {
      method: 'POST', path: '/v1/review/tasks/:taskId/decision', roles: OPERATORS, audit: 'review.decide',
      async handle({ params, req, principal }) {
        const { taskId } = validate(taskPath, params, 'path');
        const body = await readJson(req, decisionSchema);
        const task = await deps.tasks.get(taskId);
        if (!task) throw new HttpError(404, 'not_found', `no review task ${taskId}`);
        if (task.status !== 'open') throw new HttpError(409, 'conflict', `task ${taskId} is already ${task.status}`);
        const eventIds = body.eventIds ? [...new Set(body.eventIds)] : task.eventIds;
        const unknown = eventIds.filter((id) => !task.eventIds.includes(id));
        if (unknown.length) throw new HttpError(400, 'invalid', 'request body is invalid', unknown.map((id) => `eventIds: ${id} is not open on this task`));
        const decision: ReviewDecision = {
          decisionId: randomUUID(), taskId, entityId: task.entityId, entityType: task.entityType,
          approved: body.decision === 'approve', operator: principal.subject, reason: body.reason ?? null,
          decidedAt: deps.clock.now().getTime(), eventIds,
        };
        // On Kafka first: a decision is never shown as made but lost. Review applies each decision once.
        await deps.producer.send(TOPICS.reviewDecisions, [{ key: taskId, value: decision }]);
        await deps.tasks.markDecided(taskId, applyDecision(task, decision));
        deps.logger.info({ decisionId: decision.decisionId, taskId, entityId: task.entityId, operator: principal.subject, approved: decision.approved, events: eventIds.length }, 'api.review.decided');
        return {
          status: 202,
          body: { decisionId: decision.decisionId, taskId, decision: body.decision, eventIds, operator: principal.subject, status: 'accepted' },
          audit: { decisionId: decision.decisionId, decision: body.decision },
        };
      },
    },
  ];
}
