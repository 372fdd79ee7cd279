import { AsyncLocalStorage } from 'node:async_hooks';
import { badRequest, created, deepClone, gone, OperationOutcomeError, validateResource } from '@medplum/core';
import type { SearchRequest, WithId } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { CreateResourceOptions, DeleteResourceOptions, ReadHistoryOptions } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';

/** One stored version (or delete) as listed by type- and system-level `_history`. */
export interface HistoryRecord {
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdated: string;
  method: 'POST' | 'PUT' | 'DELETE';
  resource?: Resource;
}

/** A create/update that was answered as if it succeeded but not stored (fault `dropWritesRatio`). */
export interface DroppedWrite {
  resourceType: string;
  id: string;
  versionId: string;
}

export interface HistoryQuery {
  since?: string;
  offset?: number;
  count?: number;
}

type CreateResourceSync = (resource: Resource, options?: CreateResourceOptions, update?: boolean) => Resource;

/**
 * Medplum's `MemoryRepository` with the behaviour a test FHIR server needs on top:
 *
 * - integer `meta.versionId` ("1", "2", ...) instead of Medplum's random UUIDs, and a strictly
 *   increasing `meta.lastUpdated` (no two writes share a millisecond), so `_lastUpdated=gt` polling
 *   is exact;
 * - the server, not the client, chooses the id of a created resource (FHIR create semantics);
 * - base-R4 validation of every written resource (400 OperationOutcome);
 * - reads of deleted resources answer 410 Gone, deletes are idempotent;
 * - a write log for type- and system-level `_history`, which the library's router lacks;
 * - instance `_history` sorted newest first with `_count`/`_offset` (the library reverses its
 *   internal array in place on each read, so the order flips between calls);
 * - `runDropping()`, under which the library runs a request normally except that the final
 *   store step is skipped: the caller gets a genuine-looking response for a write that is lost.
 */
export class TestRepository extends MemoryRepository {
  readonly validate: boolean;
  private readonly versionCounter = new Map<string, number>();
  private readonly tombstones = new Set<string>();
  private readonly writeLog: HistoryRecord[] = [];
  private readonly dropScope = new AsyncLocalStorage<DroppedWrite[]>();
  private lastStampMs = 0;

  constructor(options: { validate?: boolean } = {}) {
    super();
    this.validate = options.validate ?? true;
    // Every store in MemoryRepository (create, update, patch, conditional create/update, batch)
    // ends in its private createResourceSync(); wrap it so a dropped write skips only that step.
    const original = (MemoryRepository.prototype as unknown as { createResourceSync?: CreateResourceSync })
      .createResourceSync;
    if (typeof original !== 'function') {
      throw new Error('@medplum/fhir-router MemoryRepository.createResourceSync not found: library internals changed');
    }
    const wrapped: CreateResourceSync = (resource, options, update) => {
      const dropped = this.dropScope.getStore();
      if (!dropped) {
        return original.call(this, resource, options, update);
      }
      const key = `${resource.resourceType}/${resource.id ?? ''}`;
      if (!update && this.isLive(key)) {
        throw new OperationOutcomeError(badRequest('Assigned ID is already in use'));
      }
      const copy = JSON.parse(JSON.stringify(resource)) as Resource;
      dropped.push({ resourceType: copy.resourceType, id: copy.id ?? '', versionId: copy.meta?.versionId ?? '' });
      return copy;
    };
    Object.defineProperty(this, 'createResourceSync', { value: wrapped });
  }

  /** Runs `fn` so that any create/update it performs answers normally but is not stored. */
  async runDropping<T>(fn: () => Promise<T>): Promise<{ result: T; dropped: DroppedWrite[] }> {
    const dropped: DroppedWrite[] = [];
    const result = await this.dropScope.run(dropped, fn);
    return { result, dropped };
  }

  /** True if the resource exists and is not deleted. */
  isLive(key: string): boolean {
    return this.versionCounter.has(key) && !this.tombstones.has(key);
  }

  async count(resourceType: string): Promise<number> {
    const bundle = await this.search({ resourceType: resourceType as Resource['resourceType'], count: 0 });
    return bundle.total ?? 0;
  }

  override clear(): void {
    super.clear();
    this.versionCounter.clear();
    this.tombstones.clear();
    this.writeLog.length = 0;
  }

  override async createResource<T extends Resource>(
    resource: T,
    options?: CreateResourceOptions,
    update = false,
  ): Promise<WithId<T>> {
    // FHIR create ignores a client-supplied id; update (PUT) and batch-assigned ids keep it.
    const id = (update || options?.assignedId) && resource.id ? resource.id : this.generateId();
    const key = `${resource.resourceType}/${id}`;
    const dropping = this.dropScope.getStore() !== undefined;
    const previous = this.versionCounter.get(key) ?? 0;
    const version = previous + 1;
    const stamped = this.stamp(resource, id, String(version));
    this.check(stamped);
    if (!dropping) {
      this.versionCounter.set(key, version);
    }
    let result: WithId<T>;
    try {
      result = await this.withSeeding(() => super.createResource(stamped, options, update));
    } catch (err) {
      if (!dropping && this.versionCounter.get(key) === version) {
        if (previous === 0) {
          this.versionCounter.delete(key);
        } else {
          this.versionCounter.set(key, previous);
        }
      }
      throw err;
    }
    if (!dropping) {
      this.tombstones.delete(key);
      this.record(result, update ? 'PUT' : 'POST');
    }
    return result;
  }

  override async conditionalCreate<T extends Resource>(
    resource: T,
    search: SearchRequest<T>,
    options?: CreateResourceOptions,
  ): Promise<{ resource: WithId<T>; outcome: OperationOutcome }> {
    const id = options?.assignedId && resource.id ? resource.id : this.generateId();
    const stamped = this.stamp(resource, id, '1');
    this.check(stamped);
    // assignedId: the id is ours; the library would otherwise reject a body id differing from the match.
    const result = await this.withSeeding(() =>
      super.conditionalCreate(stamped, search, { ...options, assignedId: true }),
    );
    if (result.outcome.id === created.id && this.dropScope.getStore() === undefined) {
      this.versionCounter.set(`${result.resource.resourceType}/${result.resource.id}`, 1);
      this.record(result.resource, 'POST');
    }
    return result;
  }

  override async readResource<T extends Resource>(resourceType: string, id: string): Promise<T> {
    if (this.tombstones.has(`${resourceType}/${id}`)) {
      throw new OperationOutcomeError(gone);
    }
    return super.readResource<T>(resourceType, id);
  }

  override async readHistory<T extends Resource>(
    resourceType: string,
    id: string,
    options?: ReadHistoryOptions,
  ): Promise<Bundle<T>> {
    const bundle = await super.readHistory<T>(resourceType, id);
    const entries = (bundle.entry ?? []).slice().sort((a, b) => versionOf(b.resource) - versionOf(a.resource));
    const offset = options?.offset ?? 0;
    const page = entries.slice(offset, options?.limit === undefined ? undefined : offset + options.limit);
    const result: Bundle<T> = { resourceType: 'Bundle', type: 'history', total: entries.length };
    if (page.length > 0) {
      result.entry = page.map((e): BundleEntry<T> => {
        const r = e.resource as T;
        return {
          resource: r,
          request: { method: r.meta?.versionId === '1' ? 'POST' : 'PUT', url: `${resourceType}/${id}` },
          response: { status: r.meta?.versionId === '1' ? '201 Created' : '200 OK', etag: `W/"${r.meta?.versionId}"`, lastModified: r.meta?.lastUpdated },
        };
      });
    }
    return result;
  }

  override async deleteResource(resourceType: string, id: string, options?: DeleteResourceOptions): Promise<void> {
    const key = `${resourceType}/${id}`;
    if (this.tombstones.has(key)) {
      return; // deleting a deleted resource is a no-op success
    }
    await super.deleteResource(resourceType, id, options);
    const version = (this.versionCounter.get(key) ?? 0) + 1;
    this.versionCounter.set(key, version);
    this.tombstones.add(key);
    this.writeLog.push({
      resourceType,
      id,
      versionId: String(version),
      lastUpdated: this.nextTimestamp(),
      method: 'DELETE',
    });
  }

  /** Type-level (`resourceType` given) or system-level history, newest first. */
  typeHistory(resourceType: string | undefined, query: HistoryQuery = {}): Bundle {
    const since = query.since;
    const matching = this.writeLog
      .filter((r) => (resourceType === undefined || r.resourceType === resourceType) && (!since || r.lastUpdated >= since))
      .sort((a, b) => (a.lastUpdated < b.lastUpdated ? 1 : a.lastUpdated > b.lastUpdated ? -1 : 0));
    const offset = query.offset ?? 0;
    const page = matching.slice(offset, query.count === undefined ? undefined : offset + query.count);
    const bundle: Bundle = { resourceType: 'Bundle', type: 'history', total: matching.length };
    if (page.length > 0) {
      bundle.entry = page.map((r): BundleEntry => {
        const entry: BundleEntry = {
          request: { method: r.method, url: r.method === 'POST' ? r.resourceType : `${r.resourceType}/${r.id}` },
          response: {
            status: r.method === 'POST' ? '201 Created' : r.method === 'PUT' ? '200 OK' : '204 No Content',
            etag: `W/"${r.versionId}"`,
            lastModified: r.lastUpdated,
          },
        };
        if (r.resource) {
          entry.resource = deepClone(r.resource);
        }
        return entry;
      });
    }
    return bundle;
  }

  private stamp<T extends Resource>(resource: T, id: string, versionId: string): T {
    return { ...resource, id, meta: { ...resource.meta, versionId, lastUpdated: this.nextTimestamp() } };
  }

  private nextTimestamp(): string {
    this.lastStampMs = Math.max(Date.now(), this.lastStampMs + 1);
    return new Date(this.lastStampMs).toISOString();
  }

  private check(resource: Resource): void {
    if (!this.validate) {
      return;
    }
    const errors = validateResource(resource).filter((i) => i.severity === 'error' || i.severity === 'fatal');
    if (errors.length > 0) {
      throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: errors });
    }
  }

  private record(resource: Resource, method: 'POST' | 'PUT'): void {
    this.writeLog.push({
      resourceType: resource.resourceType,
      id: resource.id ?? '',
      versionId: resource.meta?.versionId ?? '',
      lastUpdated: resource.meta?.lastUpdated ?? '',
      method,
      resource: deepClone(resource),
    });
  }
}

function versionOf(resource: Resource | undefined): number {
  return Number(resource?.meta?.versionId ?? 0);
}
