import { contentHash, deterministicId } from '@cr/core';
import type { SourceRecord } from '@cr/data-gen';
import type { RawRecord, WorldEvent } from '@cr/world-model';
import { unify } from '../../../services/unification/src/unify.ts';

/** A generated record as ingest would emit it: a RawRecord with the payload as JSON text. */
export function rawRecord(r: SourceRecord, at: number): RawRecord {
  const hash = contentHash(r.payload);
  return {
    recordId: deterministicId(r.dataSourceId, r.resourceType, r.externalId, hash),
    dataSourceId: r.dataSourceId, sourceType: r.sourceType, system: r.system, resourceType: r.resourceType, externalId: r.externalId,
    contentHash: hash, payload: JSON.stringify(r.payload), sourceVersion: null, sourceLastUpdated: null, observedAt: at, ingestedAt: at,
  };
}

/** Maps every record with unification's own code and the built-in rule sets. */
export function worldEvents(records: readonly SourceRecord[]): WorldEvent[] {
  const at = Date.UTC(2024, 0, 1);
  return records.map((r, i) => unify(rawRecord(r, at + i)));
}
