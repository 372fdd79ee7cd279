import { z } from 'zod';
import type { Role } from '@cr/auth';
import type { ApiDeps } from '../deps.ts';
import { HttpError, queryObject, validate } from '../http.ts';
import type { Route } from '../router.ts';
import { limitSchema } from './schemas.ts';

/** Who may watch the pipeline: people, not agents. */
const WATCHERS: readonly Role[] = ['operator', 'admin', 'readonly'];

const noQuery = z.object({}).strict();
const idSchema = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a data source id') }).strict();
const eventsQuery = z.object({ limit: limitSchema }).strict();
const POINTS = { minute: { default: 60, max: 1_440 }, hour: { default: 24, max: 168 } } as const;
const throughputQuery = z.object({
  bucket: z.enum(['minute', 'hour']).default('minute'),
  points: z.coerce.number().int().min(1).optional(),
}).strict().superRefine((q, ctx) => {
  if (q.points !== undefined && q.points > POINTS[q.bucket].max) ctx.addIssue({ code: 'custom', path: ['points'], message: `at most ${POINTS[q.bucket].max} for ${q.bucket} buckets` });
});
const latencyQuery = z.object({ hours: z.coerce.number().int().min(1).max(168).default(24) }).strict();

/**
 * Pipeline observability, read-only: status, sources, sinks, resolution,
 * review queue, throughput and latency. The database-backed parts answer even
 * when Kafka does not; `live` says whether the live part could be read.
 */
export function pipelineRoutes(deps: ApiDeps): Route[] {
  const get = (path: string, handle: Route['handle']): Route => ({ method: 'GET', path, roles: WATCHERS, handle });
  return [
    get('/v1/pipeline/status', async ({ query }) => {
      validate(noQuery, queryObject(query), 'query');
      return { status: 200, body: await deps.pipeline.status() };
    }),
    get('/v1/pipeline/sources', async ({ query }) => {
      validate(noQuery, queryObject(query), 'query');
      return { status: 200, body: await deps.pipeline.sources() };
    }),
    get('/v1/pipeline/sources/:id/events', async ({ params, query }) => {
      const { id } = validate(idSchema, params, 'path');
      const { limit } = validate(eventsQuery, queryObject(query), 'query');
      const body = await deps.pipeline.sourceEvents(id, limit);
      if (!body) throw new HttpError(404, 'not_found', `no data source ${id}`);
      return { status: 200, body };
    }),
    get('/v1/pipeline/sinks', async ({ query }) => {
      validate(noQuery, queryObject(query), 'query');
      return { status: 200, body: await deps.pipeline.sinks() };
    }),
    get('/v1/pipeline/resolution', async ({ query }) => {
      validate(noQuery, queryObject(query), 'query');
      return { status: 200, body: await deps.pipeline.resolution() };
    }),
    get('/v1/pipeline/review', async ({ query }) => {
      validate(noQuery, queryObject(query), 'query');
      return { status: 200, body: await deps.pipeline.review() };
    }),
    get('/v1/pipeline/throughput', async ({ query }) => {
      const q = validate(throughputQuery, queryObject(query), 'query');
      return { status: 200, body: await deps.pipeline.throughput(q.bucket, q.points ?? POINTS[q.bucket].default) };
    }),
    get('/v1/pipeline/latency', async ({ query }) => {
      const { hours } = validate(latencyQuery, queryObject(query), 'query');
      return { status: 200, body: await deps.pipeline.latency(hours) };
    }),
  ];
}
