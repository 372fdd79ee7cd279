import { isRetriable, describeError, type Logger } from '@cr/core';
import type { FhirResource } from '@cr/fhir';
import type { Candidate } from '../../records/emitter.ts';
import { fhirCandidate, type FhirReader } from './fhir-reader.ts';

export interface ReferenceCache {
  /** Reference data that `resources` point at and that is not cached yet, read from the server. */
  resolve(resources: readonly FhirResource[]): Promise<Candidate[]>;
  size(): number;
}

/** Every `reference` string in a resource, e.g. `Practitioner/123`. */
export function referencesIn(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const v of value) referencesIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') out.add(v);
      else referencesIn(v, out);
    }
  }
  return out;
}

/**
 * Practitioner, Location and Organization change rarely and are referenced by
 * many records: each is read once per `ttlMs` (a failed read is not retried
 * before then either), however many records point at it.
 */
export function createReferenceCache(o: { reader: FhirReader; types: readonly string[]; ttlMs: number; maxEntries: number; logger: Logger; now: () => number }): ReferenceCache {
  const expires = new Map<string, number>();
  const pattern = new RegExp(`^(?:${o.reader.baseUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/)?(${o.types.join('|')})/([A-Za-z0-9.-]{1,64})$`);
  return {
    async resolve(resources) {
      const wanted = new Map<string, [string, string]>();
      for (const r of resources) {
        for (const ref of referencesIn(r)) {
          const m = pattern.exec(ref);
          if (m) wanted.set(`${m[1]}/${m[2]}`, [m[1]!, m[2]!]);
        }
      }
      const out: Candidate[] = [];
      for (const [key, [type, id]] of wanted) {
        if ((expires.get(key) ?? 0) > o.now()) continue;
        try {
          await o.reader.ensureGranted(type);
          const res = await o.reader.get<FhirResource>(`${o.reader.baseUrl}/${type}/${id}`);
          if (res?.resourceType === type && res.id) out.push(fhirCandidate(res as FhirResource & { id: string }));
        } catch (error) {
          // A transport failure that outlived its retries fails the cycle; anything else (404, scope) is remembered.
          if (isRetriable(error) || describeError(error).message.startsWith('circuit open')) throw error;
          o.logger.warn({ referenceType: type, ...describeError(error) }, 'ingest.reference.unavailable');
        }
        expires.delete(key);
        expires.set(key, o.now() + o.ttlMs);
        if (expires.size > o.maxEntries) expires.delete(expires.keys().next().value!);
      }
      return out;
    },
    size: () => expires.size,
  };
}
