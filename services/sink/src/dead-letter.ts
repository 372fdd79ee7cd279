import { describeError } from '@cr/core';
import type { RawMessage } from '@cr/kafka';
import type { EntityState } from '@cr/world-model';
import type { SyncFailure } from './sync.ts';

/** Where a record came from, when it came from a topic. */
export interface SourcePosition { topic: string; partition: number; offset: string }

const MAX_OUTCOME_CHARS = 8_000;

/**
 * A refused write for `sink.dead-letter.v1`: the entity state's bytes, and
 * headers with the context an operator needs: the step, the target's record type,
 * the HTTP status, the OperationOutcome and the attempt. The outcome goes only
 * into this header, never into a log line (its diagnostics may quote values).
 */
export function sinkDeadLetter(o: { sinkId: string; state: EntityState; bytes: Buffer; failure: SyncFailure; attempt: number; source?: SourcePosition; now: number }): RawMessage {
  const d = describeError(o.failure.error);
  const e = o.failure.error as { status?: number; outcome?: unknown };
  const outcome = e.outcome === undefined ? '' : JSON.stringify(e.outcome).slice(0, MAX_OUTCOME_CHARS);
  return {
    key: o.state.entityId,
    value: o.bytes,
    headers: {
      'dlq.stage': 'sink',
      'dlq.error.class': d.errorClass,
      'dlq.error.name': d.name,
      'dlq.error.message': d.message,
      'dlq.attempt': String(o.attempt),
      ...(o.source ? { 'dlq.source.topic': o.source.topic, 'dlq.source.partition': String(o.source.partition), 'dlq.source.offset': o.source.offset } : {}),
      'dlq.timestamp': new Date(o.now).toISOString(),
      'dlq.sink.id': o.sinkId,
      'dlq.entity.id': o.state.entityId,
      'dlq.entity.version': String(o.state.version),
      'dlq.step': o.failure.step,
      'dlq.target.resourceType': o.failure.recordType,
      ...(e.status === undefined ? {} : { 'dlq.target.status': String(e.status) }),
      ...(outcome ? { 'dlq.target.operationOutcome': outcome } : {}),
    },
  };
}
