import { isDeepStrictEqual } from 'node:util';
import { ConflictError, PayloadError, TransportError } from '@cr/core';
import { withPaths, type PathEntry } from '@cr/world-model';
import type { RateLimiter } from './rate-limiter.ts';
import { isConflict, RecordGone, type RecordKey, type Target, type TargetRecord } from './target/index.ts';

export interface WriteDeps {
  target: Target;
  limiter: RateLimiter;
  /** Heartbeat while waiting for the rate limit. */
  tick?: () => Promise<void>;
  onWrite?: (recordType: string, kind: 'create' | 'update', waitedMs: number) => void;
}

export interface Ensured {
  record: TargetRecord;
  /** A create or update went out (so it needs reading back). */
  wrote: boolean;
}

const MAX_CONFLICTS = 3;
const MAX_ROUNDS = 8;

/**
 * Makes the target's record of `type` carry our values (`entries`), idempotently:
 * - a known record is read (its version goes in If-Match), our values are written
 *   over what it holds, and it is updated only if that changes anything; a 412
 *   means someone changed it: read again, project again, retry;
 * - an unknown record, or one the target no longer has (deleted, or a create it
 *   dropped silently), is created conditionally on `key`: if a record carrying the
 *   key exists (an earlier attempt's), that one is brought up to date instead.
 */
export async function ensureRecord(deps: WriteDeps, type: string, key: RecordKey, entries: readonly PathEntry[], knownId: string | null, o: { createIfMissing?: boolean } = {}): Promise<Ensured> {
  let id = knownId;
  let conflicts = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (id) {
      const current = await deps.target.read(type, id);
      if (current) {
        const merged = withPaths(current.body, entries);
        if (isDeepStrictEqual(merged, current.body)) return { record: current, wrote: false };
        const waited = await deps.limiter.take(deps.tick);
        try {
          const record = await deps.target.update(type, id, { merged, changes: withPaths({}, entries) }, current.version);
          deps.onWrite?.(type, 'update', waited);
          return { record, wrote: true };
        } catch (error) {
          if (isConflict(error) && ++conflicts < MAX_CONFLICTS) continue;
          if (isConflict(error)) throw new ConflictError(`${type}/{id}: still changing after ${MAX_CONFLICTS} reads`, { cause: error });
          if (!(error instanceof RecordGone)) throw error;
        }
      }
      id = null;
    }
    // An update step of another record: never create that record from a fragment.
    if (o.createIfMissing === false) throw new PayloadError(`${type}: the record to update is not in the target`);
    const waited = await deps.limiter.take(deps.tick);
    const { record, created } = await deps.target.createOnce(type, withPaths(deps.target.newRecord(type, key), entries), key);
    if (created) {
      deps.onWrite?.(type, 'create', waited);
      return { record, wrote: true };
    }
    id = record.id;
  }
  throw new TransportError(`${type}: the target keeps answering inconsistently (found by key, then not readable)`);
}
