import { nextLink, type Bundle, type FhirResource } from '@cr/fhir';
import type { ResourcePoll } from '@cr/world-model';
import type { RecordEmitter } from '../../records/emitter.ts';
import type { IngestStore } from '../../store.ts';
import type { CycleReport } from '../../health/health-publisher.ts';
import { fhirCandidate, type FhirReader } from './fhir-reader.ts';
import type { ReferenceCache } from './reference-cache.ts';

type CycleResult = Omit<CycleReport, 'resourceType' | 'startedAt' | 'durationMs' | 'error'>;

/**
 * One cycle for one resource type. Incremental cycles search `_lastUpdated`
 * from the saved cursor; a full cycle (due every `fullIntervalMs`, and the very
 * first) searches without it. Pages are followed by their next link; each page's
 * new records (and the reference data they point at) are emitted before the
 * next page is read. The cursor moves only after the whole cycle is acknowledged.
 */
export async function searchCycle(o: {
  dataSourceId: string; resource: ResourcePoll; reader: FhirReader; emitter: RecordEmitter; store: IngestStore;
  references: ReferenceCache; now: () => number; signal: AbortSignal;
}): Promise<CycleResult> {
  const { resource, store, dataSourceId } = o;
  const startedAt = o.now();
  await o.reader.ensureGranted(resource.type);
  const since = await store.cursor(dataSourceId, resource.type);
  const lastFull = Number(await store.cursor(dataSourceId, `${resource.type}#full`) ?? 0);
  const full = !since || startedAt - lastFull >= resource.fullIntervalMs;
  const params = new URLSearchParams({ _count: String(resource.pageSize), _sort: '_lastUpdated' });
  if (!full && since) params.set('_lastUpdated', `ge${since}`);
  let url: string | undefined = `${o.reader.baseUrl}/${resource.type}?${params}`;
  let maxLastUpdated = since;
  let fetched = 0;
  let emitted = 0;
  while (url && !o.signal.aborted) {
    const page: Bundle = await o.reader.get<Bundle>(url);
    const resources = (page.entry ?? []).map((e) => e.resource)
      .filter((r): r is FhirResource & { id: string } => !!r && r.resourceType === resource.type && typeof r.id === 'string');
    fetched += resources.length;
    for (const r of resources) {
      const lu = r.meta?.lastUpdated;
      if (lu && (!maxLastUpdated || lu > maxLastUpdated)) maxLastUpdated = lu;
    }
    const referenced = await o.references.resolve(resources);
    emitted += (await o.emitter.emit([...referenced, ...resources.map(fhirCandidate)])).emitted;
    url = nextLink(page);
  }
  if (o.signal.aborted) return { fetched, emitted, cycle: full ? 'full' : 'incremental', detail: 'stopped' };
  if (maxLastUpdated && maxLastUpdated !== since) await store.saveCursor(dataSourceId, resource.type, maxLastUpdated);
  if (full) await store.saveCursor(dataSourceId, `${resource.type}#full`, String(startedAt));
  return { fetched, emitted, cycle: full ? 'full' : 'incremental' };
}
