import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { describeError } from '@cr/core';
import { TOPICS } from '@cr/kafka';
import { runService } from '@cr/runtime';
import { dataSourceSchema, type EntityState } from '@cr/world-model';
import { HttpError, readJson, sendError, sendJson } from './http.ts';

const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().default('127.0.0.1'),
}).strict();

const dataSourceBody = dataSourceSchema.options.map((o) => o.omit({ id: true }));
const dataSourceBodySchema = z.discriminatedUnion('type', [dataSourceBody[0]!]);

await runService({
  name: 'api',
  configSchema,
  env: (env) => ({ port: env.API_PORT, host: env.API_HOST }),
  async start({ kafka, db, config, logger, ops }) {
    const producer = kafka.producer({ stage: 'api', metricsRegistry: ops.registry });
    await producer.connect();

    const routes: { method: string; pattern: RegExp; handle: (m: RegExpExecArray, req: IncomingMessage) => Promise<[number, unknown]> }[] = [
      {
        method: 'GET', pattern: /^\/v1\/entities\/([A-Za-z]+)\/([A-Za-z0-9._-]+)$/,
        async handle(m) {
          let row: { state: EntityState } | undefined;
          try {
            row = await db('entity_state').where({ entity_id: m[2], entity_type: m[1] }).first('state');
          } catch (error) {
            if (/does not exist/.test(String(error))) throw new HttpError(503, 'not_ready', 'the read model is not built yet');
            throw error;
          }
          if (!row) throw new HttpError(404, 'not_found', `no ${m[1]} ${m[2]}`);
          const s = row.state;
          const fields = Object.fromEntries(Object.entries(s.fields).map(([k, f]) => [k, JSON.parse(f.valueJson) as unknown]));
          const provenance = Object.fromEntries(Object.entries(s.fields).map(([k, f]) => [k, { eventId: f.eventId, dataSourceId: f.dataSourceId, origin: f.origin, confidence: f.confidence, observedAt: new Date(f.observedAt).toISOString(), verified: f.verified }]));
          return [200, { entityId: s.entityId, entityType: s.entityType, version: s.version, fields, provenance, sourceRefs: s.sourceRefs, identifiers: s.identifiers, minConfidence: s.minConfidence }];
        },
      },
      {
        method: 'PUT', pattern: /^\/v1\/data-sources\/([a-z0-9][a-z0-9-]{0,62})$/,
        async handle(m, req) {
          const body = await readJson(req, dataSourceBodySchema);
          const now = Date.now();
          await producer.send(TOPICS.connectorConfig, [{
            key: m[1]!,
            value: { id: m[1], name: body.name, type: body.type, enabled: body.enabled, configJson: JSON.stringify(body.config), revision: now, updatedAt: now },
          }]);
          logger.info({ dataSourceId: m[1], type: body.type }, 'api.data_source.saved');
          return [202, { id: m[1], status: 'accepted' }];
        },
      },
      {
        method: 'DELETE', pattern: /^\/v1\/data-sources\/([a-z0-9][a-z0-9-]{0,62})$/,
        async handle(m) {
          await producer.send(TOPICS.connectorConfig, [{ key: m[1]!, value: null }]);
          return [202, { id: m[1], status: 'deleted' }];
        },
      },
    ];

    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const matching = routes.filter((r) => r.pattern.test(path));
      const route = matching.find((r) => r.method === req.method);
      (async () => {
        if (!route) throw matching.length ? new HttpError(405, 'method_not_allowed', `${req.method} not allowed here`) : new HttpError(404, 'not_found', 'no such route');
        const [status, body] = await route.handle(route.pattern.exec(path)!, req);
        sendJson(res, status, body);
      })().catch((error: unknown) => {
        if (error instanceof HttpError) return sendError(res, error);
        logger.error({ ...describeError(error), method: req.method, route: route?.pattern.source }, 'api.request.failed');
        sendError(res, new HttpError(500, 'internal', 'internal error'));
      });
    });
    await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
    logger.info({ port: (server.address() as AddressInfo).port }, 'api.listening');
    return {
      async stop() {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await producer.disconnect();
      },
    };
  },
});
