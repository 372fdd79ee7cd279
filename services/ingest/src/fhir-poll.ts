import { contentHash, deterministicId, withRetry, describeError, type Logger } from '@cr/core';
import { contentOf, fhirRequest, nextLink, type Bundle, type FhirResource } from '@cr/fhir';
import type { RawRecord } from '@cr/world-model';
import type { IngestStore } from './store.ts';

export interface PollTarget {
  dataSourceId: string;
  sourceType: string;
  baseUrl: string;
  resourceType: string;
  pageSize: number;
}

export interface PollResult {
  fetched: number;
  emitted: number;
  pages: number;
  cursor: string | undefined;
}

/** Hands a page of new raw records to Kafka; resolves once they are acknowledged. */
export type Emit = (records: RawRecord[]) => Promise<void>;

/**
 * One incremental cycle for one resource type: search by `_lastUpdated` from the
 * saved cursor, follow the bundle's next links, and emit only records whose content
 * hash changed. Dedupe state and the cursor are saved only after Kafka acknowledged
 * the page, so a crash re-sends (idempotent downstream) rather than loses.
 */
export async function pollFhirResource(target: PollTarget, deps: { store: IngestStore; emit: Emit; logger: Logger; now: () => number }): Promise<PollResult> {
  const { store, emit, logger, now } = deps;
  const since = await store.cursor(target.dataSourceId, target.resourceType);
  const params = new URLSearchParams({ _count: String(target.pageSize), _sort: '_lastUpdated' });
  if (since) params.set('_lastUpdated', `ge${since}`);
  let url: string | undefined = `${target.baseUrl.replace(/\/$/, '')}/${target.resourceType}?${params}`;
  let maxLastUpdated = since;
  const result: PollResult = { fetched: 0, emitted: 0, pages: 0, cursor: since };
  while (url) {
    const pageUrl: string = url;
    const page = await withRetry(() => fhirRequest<Bundle>('GET', pageUrl), {
      onRetry: ({ attempt, delayMs, error }) => logger.warn({ attempt, delayMs, ...describeError(error), dataSourceId: target.dataSourceId }, 'ingest.poll.retry'),
    });
    result.pages++;
    const resources = (page.body.entry ?? []).map((e) => e.resource).filter((r): r is FhirResource => !!r && r.resourceType === target.resourceType && !!r.id);
    result.fetched += resources.length;
    const fresh: { record: RawRecord; resource: FhirResource }[] = [];
    for (const resource of resources) {
      const hash = contentHash(contentOf(resource));
      const lastUpdated = resource.meta?.lastUpdated;
      if (lastUpdated && (!maxLastUpdated || lastUpdated > maxLastUpdated)) maxLastUpdated = lastUpdated;
      if (await store.unchanged(target.dataSourceId, target.resourceType, resource.id!, hash)) continue;
      const observedAt = lastUpdated ? Date.parse(lastUpdated) : now();
      fresh.push({
        resource,
        record: {
          recordId: deterministicId(target.dataSourceId, target.resourceType, resource.id!, hash),
          dataSourceId: target.dataSourceId, sourceType: target.sourceType, system: target.baseUrl,
          resourceType: target.resourceType, externalId: resource.id!, contentHash: hash,
          payload: JSON.stringify(resource), sourceVersion: resource.meta?.versionId ?? null,
          sourceLastUpdated: lastUpdated ?? null, observedAt: Number.isNaN(observedAt) ? now() : observedAt, ingestedAt: now(),
        },
      });
    }
    if (fresh.length) {
      await emit(fresh.map((f) => f.record));
      await store.remember(fresh.map((f) => ({ dataSourceId: target.dataSourceId, resourceType: target.resourceType, externalId: f.record.externalId, contentHash: f.record.contentHash })));
      result.emitted += fresh.length;
    }
    url = nextLink(page.body);
  }
  if (maxLastUpdated && maxLastUpdated !== since) {
    await store.saveCursor(target.dataSourceId, target.resourceType, maxLastUpdated);
    result.cursor = maxLastUpdated;
  }
  return result;
}
