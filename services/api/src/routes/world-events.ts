import { z } from 'zod';
import { SENSED_AT_HEADER } from '@cr/kafka';
import { ORIGIN_CONFIDENCE, routeForReview, type ResolvedEvent } from '@cr/world-model';
import type { ApiDeps } from '../deps.ts';
import { HttpError, readJson } from '../http.ts';
import type { Route } from '../router.ts';
import { messageFor, worldEventFor } from '../writes.ts';
import { entityIdSchema, entityTypeSchema, fieldPathSchema, identifierSchema } from './schemas.ts';

const bodySchema = z.object({
  /** The writer's idempotency key: the same key from the same writer is the same event. */
  requestId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, 'letters, digits and . _ : -'),
  entityType: entityTypeSchema,
  entityId: entityIdSchema.optional(),
  identifiers: z.array(identifierSchema).max(20).default([]),
  origin: z.enum(['voice', 'agent', 'operator']),
  /** Agent inference only: how sure the agent is (below the outbound threshold). */
  confidence: z.number().gt(0).max(1).optional(),
  attributes: z.record(fieldPathSchema, z.json()).refine((a) => Object.keys(a).length > 0 && Object.keys(a).length <= 100, 'between 1 and 100 attributes'),
  category: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/).optional(),
  observedAt: z.iso.datetime({ offset: true }).optional(),
  /** The source material, e.g. the call transcript the values were taken from: what review checks them against. */
  transcript: z.string().min(1).max(200_000).optional(),
}).strict()
  .refine((b) => b.entityId || b.identifiers.length > 0, { message: 'give entityId or identifiers', path: ['entityId'] })
  .refine((b) => b.origin === 'agent' || b.confidence === undefined, { message: 'only agent writes set a confidence (voice is 0.5, operator 1.0)', path: ['confidence'] });

/**
 * Agent and voice writes into the world model. Voice writes carry confidence 0.5;
 * agent inference carries the agent's confidence, capped below the outbound
 * threshold; operators write at 1.0. Sub-threshold writes are reviewed before
 * any sink may use them.
 */
export function worldEventRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'POST', path: '/v1/world/events', roles: ['agent', 'operator', 'admin'], audit: 'world_event.write',
      async handle({ req, principal }) {
        // Sensed when the request arrived: the start of its end-to-end latency.
        const receivedAt = deps.clock.now().getTime();
        const body = await readJson(req, bodySchema);
        if (body.origin === 'operator' && !principal.roles.some((r) => r === 'operator' || r === 'admin')) {
          throw new HttpError(403, 'forbidden', 'operator writes need the operator or admin role');
        }
        const max = deps.config.agentMaxConfidence;
        const confidence = body.origin === 'agent' ? (body.confidence ?? ORIGIN_CONFIDENCE.agent) : ORIGIN_CONFIDENCE[body.origin];
        if (body.origin === 'agent' && confidence > max) throw new HttpError(400, 'invalid', 'request body is invalid', [`confidence: agent inference stays at or below ${max}`]);
        if (body.entityId && !(await deps.entities.get(body.entityType, body.entityId))) {
          throw new HttpError(404, 'not_found', `no ${body.entityType} ${body.entityId}`);
        }
        const now = deps.clock.now().getTime();
        const event = worldEventFor({
          subject: principal.subject, requestId: body.requestId, entityType: body.entityType, entityId: body.entityId, identifiers: body.identifiers,
          origin: body.origin, confidence,
          attributes: Object.fromEntries(Object.entries(body.attributes).map(([k, v]) => [k, JSON.stringify(v)])),
          category: body.category ?? null, observedAt: body.observedAt ? Date.parse(body.observedAt) : now, recordedAt: now,
          sourceMaterial: body.transcript ?? null,
        });
        const message = messageFor(event, body.entityId);
        await deps.producer.sendMany([{ ...message, headers: { ...message.headers, [SENSED_AT_HEADER]: String(receivedAt) } }]);
        const resolved: ResolvedEvent = { entityId: body.entityId ?? '', event, resolution: { tier: 0, rule: '', score: 1, features: [] } };
        const reviewRequired = routeForReview(resolved, deps.config.thresholds).route === 'queue';
        deps.logger.info({ eventId: event.eventId, entityId: body.entityId ?? null, origin: body.origin, fields: Object.keys(body.attributes).length, reviewRequired }, 'api.world_event.accepted');
        return {
          status: 202,
          body: { eventId: event.eventId, entityId: body.entityId ?? null, status: 'accepted', confidence, reviewRequired },
          audit: { eventId: event.eventId, ...(body.entityId ? { entityId: body.entityId } : {}) },
        };
      },
    },
  ];
}
