import type { TokenProvider } from '@cr/fhir';
import { exchange } from './exchange.ts';
import { RecordGone, TargetError } from './target-error.ts';
import type { Doc, RecordKey, Target, TargetRecord } from './target.ts';

interface Resource { resourceType?: string; id?: string; meta?: { versionId?: string } }

function toRecord(body: unknown): TargetRecord {
  const r = body as Resource;
  if (!r?.id) throw new TargetError(502, 'GET', '', r?.resourceType ?? 'unknown', undefined);
  return { id: r.id, version: r.meta?.versionId ?? null, body: body as Doc };
}

/**
 * A FHIR R4 server: creates with If-None-Exist on our identifier (a retried
 * create finds the resource instead of adding one), updates with If-Match on the
 * version last read (412: someone changed it; read again).
 */
export function createFhirTarget(o: { baseUrl: string; timeoutMs: number; auth?: TokenProvider }): Target {
  const base = o.baseUrl.replace(/\/$/, '');
  const opts = (recordType: string, more: { headers?: Record<string, string>; pass?: number[] } = {}) => ({ recordType, timeoutMs: o.timeoutMs, ...(o.auth ? { auth: o.auth } : {}), ...more });
  return {
    reference: (type, id) => `${type}/${id}`,

    newRecord: (type, key) => ({ resourceType: type, identifier: [{ system: key.system, value: key.value }] }),

    async read(type, id) {
      const res = await exchange(`GET`, `${base}/${type}/${encodeURIComponent(id)}`, undefined, opts(type, { pass: [404, 410] }));
      return res.status === 404 || res.status === 410 ? undefined : toRecord(res.body);
    },

    async createOnce(type, body, key: RecordKey) {
      const res = await exchange('POST', `${base}/${type}`, body, opts(type, { headers: { 'if-none-exist': `identifier=${encodeURIComponent(`${key.system}|${key.value}`)}`, prefer: 'return=representation' } }));
      return { record: toRecord(res.body), created: res.status === 201 };
    },

    async update(type, id, body, version) {
      const res = await exchange('PUT', `${base}/${type}/${encodeURIComponent(id)}`, { ...body.merged, resourceType: type, id }, opts(type, {
        headers: version ? { 'if-match': `W/"${version}"`, prefer: 'return=representation' } : { prefer: 'return=representation' }, pass: [404, 410],
      }));
      if (res.status === 404 || res.status === 410) throw new RecordGone(`PUT ${type}/{id} -> ${res.status}`);
      return toRecord(res.body);
    },
  };
}
