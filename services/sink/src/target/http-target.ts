import type { TokenProvider } from '@cr/fhir';
import { extractAll, extractFirst, withPaths, type SinkTarget } from '@cr/world-model';
import { exchange, header } from './exchange.ts';
import { RecordGone, TargetError } from './target-error.ts';
import type { Doc, Target, TargetRecord } from './target.ts';

/**
 * A CRM or REST API that takes JSON records under a path (`/contacts`). Creates
 * look the record up by our entity id first (`?connector_runner_id=...`) and send
 * an Idempotency-Key; updates carry If-Match when the API gives ETags.
 */
export function createHttpTarget(o: { type: 'crm' | 'rest'; target: SinkTarget; auth?: TokenProvider }): Target {
  const base = o.target.baseUrl.replace(/\/$/, '');
  const externalIdPath = o.target.externalIdPath ?? (o.type === 'crm' ? 'properties.connector_runner_id' : 'connector_runner_id');
  const resultsPath = o.target.resultsPath ?? (o.type === 'crm' ? 'results' : undefined);
  const opts = (recordType: string, more: { headers?: Record<string, string>; pass?: number[] } = {}) => ({ recordType, json: true, timeoutMs: o.target.timeoutMs, ...(o.auth ? { auth: o.auth } : {}), ...more });
  const pathOf = (type: string): string => (type.startsWith('/') ? type : `/${type}`);
  const toRecord = (type: string, body: unknown, etag: string | undefined): TargetRecord => {
    const id = extractFirst(body, o.target.idField);
    if (id === undefined || id === null || typeof id === 'object') throw new TargetError(502, 'GET', base + pathOf(type), type, undefined);
    return { id: String(id), version: etag ?? null, body: body as Doc };
  };

  return {
    reference: (_type, id) => id,

    newRecord: (_type, key) => withPaths({}, [[externalIdPath, key.value]]),

    async read(type, id) {
      const res = await exchange('GET', `${base}${pathOf(type)}/${encodeURIComponent(id)}`, undefined, opts(type, { pass: [404, 410] }));
      return res.status === 404 || res.status === 410 ? undefined : toRecord(type, res.body, header(res, 'etag'));
    },

    async createOnce(type, body, key) {
      const url = `${base}${pathOf(type)}`;
      const found = await exchange('GET', `${url}?${new URLSearchParams({ [o.target.lookupParam]: key.value })}`, undefined, opts(type));
      // extractAll flattens the list it finds: its first entry is the first match.
      const list = resultsPath ? extractAll(found.body, resultsPath) : Array.isArray(found.body) ? found.body : extractAll(found.body, 'items');
      const first = list.find((r) => r !== null && typeof r === 'object');
      if (first) return { record: toRecord(type, first, undefined), created: false };
      const res = await exchange('POST', url, body, opts(type, { headers: { 'idempotency-key': key.value } }));
      return { record: toRecord(type, res.body, header(res, 'etag')), created: true };
    },

    async update(type, id, body, version) {
      const res = await exchange(o.target.updateMethod, `${base}${pathOf(type)}/${encodeURIComponent(id)}`, o.target.updateMethod === 'PATCH' ? body.changes : body.merged, opts(type, {
        headers: version ? { 'if-match': version } : {}, pass: [404, 410],
      }));
      if (res.status === 404 || res.status === 410) throw new RecordGone(`${o.target.updateMethod} ${pathOf(type)}/{id} -> ${res.status}`);
      return toRecord(type, res.body ?? { [o.target.idField]: id }, header(res, 'etag'));
    },
  };
}
