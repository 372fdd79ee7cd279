import { z } from 'zod';
import { TOPICS } from '@cr/kafka';
import { dataSourceSchema } from '@cr/world-model';
import type { ApiDeps } from '../deps.ts';
import { HttpError, readBody, validate } from '../http.ts';
import type { Route } from '../router.ts';

const idSchema = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -') }).strict();

/** Data sources: saved onto `connector.config` (compacted; a tombstone deletes). */
export function dataSourceRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'PUT', path: '/v1/data-sources/:id', roles: ['admin'], audit: 'data_source.save',
      async handle({ params, req }) {
        const { id } = validate(idSchema, params, 'path');
        const body = await readBody(req);
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'invalid', 'request body must be a JSON object');
        if ('id' in body) throw new HttpError(400, 'invalid', 'request body is invalid', ['id: the id comes from the path']);
        // Every data source type the world model knows, validated with its own schema.
        const source = validate(dataSourceSchema, { ...body, id });
        const now = deps.clock.now().getTime();
        await deps.producer.send(TOPICS.connectorConfig, [{
          key: id,
          value: { id, name: source.name, type: source.type, enabled: source.enabled, configJson: JSON.stringify(source.config), revision: now, updatedAt: now },
        }]);
        deps.logger.info({ dataSourceId: id, type: source.type }, 'api.data_source.saved');
        return { status: 202, body: { id, status: 'accepted' } };
      },
    },
    {
      method: 'DELETE', path: '/v1/data-sources/:id', roles: ['admin'], audit: 'data_source.delete',
      async handle({ params }) {
        const { id } = validate(idSchema, params, 'path');
        await deps.producer.send(TOPICS.connectorConfig, [{ key: id, value: null }]);
        return { status: 202, body: { id, status: 'deleted' } };
      },
    },
  ];
}
