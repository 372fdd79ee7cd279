import { z } from 'zod';
import { deterministicId } from '@cr/core';
import { TOPICS } from '@cr/kafka';
import {
  DEFAULT_TASK_RETRY, channelSchema, configIdSchema, handleTask, prioritySchema, purposeSchema, taskEventKey, taskWorldEvent, type TaskSpec,
} from '@cr/world-model';
import type { ApiDeps } from '../deps.ts';
import { HttpError, readJson } from '../http.ts';
import type { Route } from '../router.ts';
import { entityIdSchema } from './schemas.ts';

const bodySchema = z.object({
  /** The caller's idempotency key: the same key from the same caller is the same task. */
  requestId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, 'letters, digits and . _ : -'),
  patientEntityId: entityIdSchema,
  purpose: purposeSchema,
  channel: channelSchema.default('voice'),
  priority: prioritySchema.default(5),
  /** Default: now. */
  dueAt: z.iso.datetime({ offset: true }).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  workspaceId: configIdSchema.default('default'),
}).strict()
  .refine((b) => !b.expiresAt || !b.dueAt || Date.parse(b.expiresAt) > Date.parse(b.dueAt), { message: 'must be after dueAt', path: ['expiresAt'] });

/**
 * Manual triggers: an operator or an agent asks for an outbound interaction with
 * a patient. The task is created as a world event (entity type OutboundTask) on
 * `world.events`; the dispatch service picks it up from the projected state
 * and dispatches it like any other task.
 */
export function dispatchRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'POST', path: '/v1/dispatch/tasks', roles: ['agent', 'operator', 'admin'], audit: 'dispatch.task.create',
      async handle({ req, principal }) {
        const body = await readJson(req, bodySchema);
        if (!(await deps.entities.get('Patient', body.patientEntityId))) throw new HttpError(404, 'not_found', `no Patient ${body.patientEntityId}`);
        const now = deps.clock.now().getTime();
        const spec: TaskSpec = {
          taskId: `manual:${deterministicId('manual-task', principal.subject, body.requestId)}`, workspaceId: body.workspaceId,
          purpose: body.purpose, channel: body.channel, priority: body.priority, patient: body.patientEntityId, patientRefs: [], subject: null,
          createdBy: `manual:${principal.subject}`, dueAt: body.dueAt ? Date.parse(body.dueAt) : now, expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : null,
        };
        // The creation is the task decider's first event, as dispatch would have written it.
        const { events, steps } = handleTask(null, { type: 'schedule', spec, reason: 'manual' }, { now, retry: DEFAULT_TASK_RETRY });
        if (!events[0] || !steps[0]) throw new HttpError(400, 'invalid', 'request body is invalid', ['expiresAt: already past']);
        const origin = principal.roles.some((r) => r === 'operator' || r === 'admin') ? 'operator' : 'agent';
        const event = taskWorldEvent(steps[0], events[0], { origin, causationId: `api:${body.requestId}`, recordedAt: now });
        await deps.producer.sendMany([{ topic: TOPICS.worldEvents, key: taskEventKey(spec.taskId), value: event }]);
        deps.logger.info({ taskId: spec.taskId, eventId: event.eventId, origin }, 'api.dispatch.task_created');
        return {
          status: 202,
          body: { taskId: spec.taskId, eventId: event.eventId, status: 'accepted', dueAt: new Date(spec.dueAt).toISOString() },
          audit: { taskId: spec.taskId, eventId: event.eventId },
        };
      },
    },
  ];
}
