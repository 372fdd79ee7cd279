import { z } from 'zod';
import { normaliseDate, toE164 } from '@cr/world-model';
import type { ApiDeps } from '../deps.ts';
import { HttpError, queryObject, validate } from '../http.ts';
import { entityView } from '../read-model/entity-view.ts';
import { READERS, type Route } from '../router.ts';
import { entityIdSchema, entityTypeSchema, fieldPathSchema, limitSchema } from './schemas.ts';

const pathSchema = z.object({ type: entityTypeSchema, id: entityIdSchema }).strict();

const searchSchema = z.object({
  type: entityTypeSchema.optional(),
  identifier: z.string().min(1).max(500).optional(),
  name: z.string().min(1).max(200).optional(),
  birthDate: z.string().min(1).max(40).optional(),
  phone: z.string().min(3).max(40).optional(),
  limit: limitSchema,
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
}).strict().refine((q) => q.type || q.identifier || q.name || q.birthDate || q.phone, { message: 'give at least one of type, identifier, name, birthDate, phone' });

const historySchema = z.object({ field: fieldPathSchema.optional() }).strict();

/** Entities: read with provenance, search, field history. */
export function entityRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'GET', path: '/v1/entities', roles: READERS,
      async handle({ query }) {
        const q = validate(searchSchema, queryObject(query), 'query');
        const found = await deps.entities.search({
          type: q.type, identifier: q.identifier, name: q.name, limit: q.limit, offset: q.offset,
          birthDate: q.birthDate ? normaliseDate(q.birthDate) : undefined,
          phone: q.phone ? toE164(q.phone) : undefined,
        });
        return { status: 200, body: { entities: found.map(entityView), count: found.length, limit: q.limit, offset: q.offset } };
      },
    },
    {
      method: 'GET', path: '/v1/entities/:type/:id', roles: READERS,
      async handle({ params, query }) {
        const p = validate(pathSchema, params, 'path');
        validate(z.object({}).strict(), queryObject(query), 'query');
        const state = await deps.entities.get(p.type, p.id);
        if (!state) throw new HttpError(404, 'not_found', `no ${p.type} ${p.id}`);
        return { status: 200, body: entityView(state), headers: { etag: `W/"${state.version}"` } };
      },
    },
    {
      method: 'GET', path: '/v1/entities/:type/:id/history', roles: READERS,
      async handle({ params, query }) {
        const p = validate(pathSchema, params, 'path');
        const q = validate(historySchema, queryObject(query), 'query');
        const state = await deps.entities.get(p.type, p.id);
        if (!state) throw new HttpError(404, 'not_found', `no ${p.type} ${p.id}`);
        const history = (await deps.entities.history(p.id)) ?? [];
        const lines = history.filter((h) => !q.field || h.field === q.field).map((h) => ({
          field: h.field, change: h.change, at: new Date(h.at).toISOString(), value: JSON.parse(h.valueJson) as unknown,
          eventId: h.eventId, dataSourceId: h.dataSourceId, origin: h.origin, confidence: h.confidence, observedAt: new Date(h.observedAt).toISOString(),
          ...(h.previous ? { previous: { value: JSON.parse(h.previous.valueJson) as unknown, eventId: h.previous.eventId, dataSourceId: h.previous.dataSourceId } } : {}),
          ...(h.lostTo ? { lostTo: h.lostTo } : {}),
          ...(h.reason ? { reason: h.reason } : {}),
          ...(h.by ? { by: h.by } : {}),
        }));
        return { status: 200, body: { entityId: p.id, entityType: p.type, version: state.version, history: lines } };
      },
    },
  ];
}
