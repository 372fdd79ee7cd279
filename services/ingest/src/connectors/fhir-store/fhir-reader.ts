import { AuthError, PayloadError } from '@cr/core';
import { contentOf, fhirRequest, scopeAllowsRead, type FhirResource, type SmartBackendAuth } from '@cr/fhir';
import type { Candidate } from '../../records/emitter.ts';
import type { SourceGuard } from '../../resilience/source-guard.ts';

/** GETs against one FHIR base through the source's guard, with a bearer token when the source has auth. */
export interface FhirReader {
  readonly baseUrl: string;
  get<T>(url: string): Promise<T>;
  /** Throws an AuthError, without any request, when the granted scopes do not cover `resourceType`. */
  ensureGranted(resourceType: string): Promise<void>;
}

export function createFhirReader(o: { baseUrl: string; guard: SourceGuard; timeoutMs: number; auth?: SmartBackendAuth | undefined }): FhirReader {
  const baseUrl = o.baseUrl.replace(/\/$/, '');
  const origin = new URL(baseUrl).origin;
  return {
    baseUrl,
    async get<T>(url: string): Promise<T> {
      // Paging links come from the server; never follow one to another host with our token.
      if (new URL(url).origin !== origin) throw new PayloadError(`link leaves ${origin}`);
      const res = await o.guard.call(`GET ${new URL(url).pathname}`, async () => {
        const headers: Record<string, string> = o.auth ? { authorization: `Bearer ${await o.auth.token()}` } : {};
        return fhirRequest<T>('GET', url, undefined, { headers, timeoutMs: o.timeoutMs });
      }, { auth: o.auth });
      return res.body;
    },
    async ensureGranted(resourceType) {
      if (!o.auth) return;
      await o.guard.call('token', () => o.auth!.token(), { auth: o.auth });
      if (!scopeAllowsRead(o.auth.grantedScopes(), resourceType)) throw new AuthError(`scope not granted: system/${resourceType}.read`);
    },
  };
}

/** A FHIR resource as an ingest candidate; the hash ignores server bookkeeping (`meta`). */
export function fhirCandidate(resource: FhirResource & { id: string }): Candidate {
  const lastUpdated = resource.meta?.lastUpdated;
  return {
    resourceType: resource.resourceType, externalId: resource.id, payload: resource, hashed: contentOf(resource),
    sourceVersion: resource.meta?.versionId ?? null, sourceLastUpdated: lastUpdated ?? null,
    ...(lastUpdated ? { observedAt: Date.parse(lastUpdated) } : {}),
  };
}
