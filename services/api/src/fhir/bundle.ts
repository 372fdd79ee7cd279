import { z } from 'zod';
import type { Principal } from '@cr/auth';
import type { ApiDeps } from '../deps.ts';
import { HttpError, validate } from '../http.ts';
import type { Facade, PlannedWrite } from './facade.ts';
import { informational, outcomeOf } from './outcome.ts';

export const MAX_ENTRIES = 1_000;

const bundleSchema = z.object({
  resourceType: z.literal('Bundle'),
  id: z.string().optional(),
  type: z.enum(['batch', 'transaction']),
  entry: z.array(z.object({
    fullUrl: z.string().optional(),
    resource: z.unknown().optional(),
    request: z.object({
      method: z.enum(['GET', 'POST', 'PUT', 'DELETE']),
      url: z.string().min(1).max(2_000),
      ifMatch: z.string().optional(),
      ifNoneExist: z.string().optional(),
    }).strict(),
  }).strict()).max(MAX_ENTRIES).default([]),
}).strict();

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 202: 'Accepted', 400: 'Bad Request', 404: 'Not Found', 410: 'Gone', 412: 'Precondition Failed', 422: 'Unprocessable Entity', 500: 'Internal Server Error' };
const statusLine = (n: number): string => `${n} ${STATUS_TEXT[n] ?? ''}`.trim();

type EntryResult = { write?: PlannedWrite; response: Record<string, unknown>; resource?: unknown };

/**
 * Bundle import. A batch runs each entry on its own (one failing entry fails
 * alone); a transaction checks every entry first and writes all of them in one
 * Kafka transaction, or none with the first problem as the answer.
 */
export async function importBundle(deps: ApiDeps, facade: Facade, body: unknown, principal: Principal, base: string, requestId: string): Promise<Record<string, unknown>> {
  const bundle = validate(bundleSchema, body, 'bundle');
  const results: EntryResult[] = [];
  for (const [i, entry] of bundle.entry.entries()) {
    const what = `entry.${i}.resource`;
    const id = `${requestId}:${i}`;
    try {
      const [path, search] = entry.request.url.replace(/^\/+/, '').split('?', 2) as [string, string | undefined];
      const [type = '', rid, extra] = path.split('/');
      if (extra !== undefined) throw new HttpError(400, 'invalid', `entry.${i}.request.url: operations are not supported in bundles`);
      switch (entry.request.method) {
        case 'POST':
          if (rid) throw new HttpError(400, 'invalid', `entry.${i}.request.url: POST takes a resource type only`);
          results.push({ write: await facade.planCreate(type, entry.resource, principal, id, what), response: { status: statusLine(202) } });
          break;
        case 'PUT':
          if (!rid) throw new HttpError(400, 'invalid', `entry.${i}.request.url: PUT needs Type/id`);
          results.push({ write: await facade.planUpdate(type, rid, entry.resource, principal, entry.request.ifMatch, id, what), response: { status: statusLine(202), location: `${type}/${rid}` } });
          break;
        case 'DELETE':
          if (!rid) throw new HttpError(400, 'invalid', `entry.${i}.request.url: DELETE needs Type/id`);
          results.push({ write: await facade.planDelete(type, rid, principal, entry.request.ifMatch, id), response: { status: statusLine(202) } });
          break;
        case 'GET':
          if (bundle.type === 'transaction') throw new HttpError(400, 'invalid', `entry.${i}.request: reads are not allowed in a transaction`);
          if (rid) {
            const { resource, version } = await facade.read(type, rid);
            results.push({ resource, response: { status: statusLine(200), etag: `W/"${version}"` } });
          } else {
            results.push({ resource: await facade.search(type, new URLSearchParams(search ?? ''), base), response: { status: statusLine(200) } });
          }
          break;
      }
    } catch (error) {
      if (!(error instanceof HttpError) || bundle.type === 'transaction') throw error;
      results.push({ response: { status: statusLine(error.status), outcome: outcomeOf(error) } });
    }
  }
  const writes = results.flatMap((r) => (r.write ? [r.write] : []));
  if (bundle.type === 'transaction') await deps.txProducer.transaction((tx) => tx.sendMany(writes.map((w) => w.message)));
  else await deps.producer.sendMany(writes.map((w) => w.message));
  deps.logger.info({ type: bundle.type, entries: bundle.entry.length, writes: writes.length }, 'api.fhir.bundle');
  return {
    resourceType: 'Bundle',
    type: `${bundle.type}-response`,
    entry: results.map((r) => ({
      ...(r.resource ? { resource: r.resource } : {}),
      response: r.write ? { ...r.response, outcome: informational(`accepted as event ${r.write.eventId}`) } : r.response,
    })),
  };
}
