import { contentHash, deterministicId } from '@cr/core';
import { SENSED_AT_HEADER, TOPICS, compositeKey, type Producer } from '@cr/kafka';
import type { RawRecord } from '@cr/world-model';
import type { IngestStore } from '../store.ts';

/** A record as a connector found it, before dedupe. */
export interface Candidate {
  resourceType: string;
  externalId: string;
  /** The record as received; sent as JSON text. */
  payload: unknown;
  /** What the content hash covers; default the payload (FHIR: the resource without `meta`). */
  hashed?: unknown;
  sourceVersion?: string | null;
  sourceLastUpdated?: string | null;
  observedAt?: number;
}

export interface EmitResult { emitted: number; unchanged: number }

/** The one path into `ingest.raw-records`: content-hash dedupe, produce, await acks, remember. */
export interface RecordEmitter {
  emit(candidates: readonly Candidate[]): Promise<EmitResult>;
}

export interface EmitterDeps {
  source: { id: string; type: string; system: string };
  store: IngestStore;
  producer: Producer;
  now: () => number;
}

/**
 * Drops candidates whose content hash equals the last one sent for the same
 * source record, sends the rest and waits for Kafka's acknowledgement, then
 * remembers their hashes. A crash between send and remember re-sends (the
 * record id is deterministic, downstream skips it) and never loses.
 */
export function createRecordEmitter(deps: EmitterDeps): RecordEmitter {
  const { source, store, producer, now } = deps;
  return {
    async emit(candidates) {
      const latest = new Map<string, Candidate>();
      for (const c of candidates) latest.set(compositeKey(c.resourceType, c.externalId), c);
      const fresh: RawRecord[] = [];
      // One query for the whole page, not one per record.
      const sent = await store.lastHashes(source.id, [...latest.values()]);
      for (const c of latest.values()) {
        const hash = contentHash(c.hashed ?? c.payload);
        if (sent.get(compositeKey(c.resourceType, c.externalId)) === hash) continue;
        const at = now();
        fresh.push({
          recordId: deterministicId(source.id, c.resourceType, c.externalId, hash),
          dataSourceId: source.id, sourceType: source.type, system: source.system,
          resourceType: c.resourceType, externalId: c.externalId, contentHash: hash,
          payload: JSON.stringify(c.payload), sourceVersion: c.sourceVersion ?? null, sourceLastUpdated: c.sourceLastUpdated ?? null,
          observedAt: c.observedAt !== undefined && !Number.isNaN(c.observedAt) ? c.observedAt : at, ingestedAt: at,
        });
      }
      if (fresh.length) {
        // Sensed when ingest found the change (its poll or delivery), not the source's own timestamp.
        await producer.send(TOPICS.rawRecords, fresh.map((r) => ({
          key: compositeKey(r.dataSourceId, r.resourceType, r.externalId), value: r, headers: { [SENSED_AT_HEADER]: String(r.ingestedAt) },
        })));
        await store.remember(fresh.map((r) => ({ dataSourceId: r.dataSourceId, resourceType: r.resourceType, externalId: r.externalId, contentHash: r.contentHash })));
      }
      return { emitted: fresh.length, unchanged: latest.size - fresh.length };
    },
  };
}
