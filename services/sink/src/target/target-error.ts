import { ConflictError, PipelineError, type ErrorClass } from '@cr/core';
import { errorForStatus } from '@cr/fhir';

/**
 * A target's refusal with what a dead letter needs: the record type, the HTTP
 * status and the OperationOutcome (or error body). Its class and retriability are
 * the FHIR client's (429/5xx retriable, other 4xx not). The message carries no body.
 */
export class TargetError extends PipelineError {
  override readonly errorClass: ErrorClass;
  readonly status: number;
  readonly recordType: string;
  readonly outcome: unknown;

  constructor(status: number, method: string, url: string, recordType: string, body: unknown, retryAfter?: string) {
    const classified = errorForStatus(status, method, url, retryAfter, body);
    super(classified.message, { retriable: classified.retriable, ...(classified.retryAfterMs === undefined ? {} : { retryAfterMs: classified.retryAfterMs }) });
    this.errorClass = classified.errorClass;
    this.status = status;
    this.recordType = recordType;
    this.outcome = body;
  }
}

/** The record is not in the target (deleted there, or a create it dropped): create it again. */
export class RecordGone extends PipelineError {
  override readonly errorClass = 'conflict';
  constructor(message: string) {
    super(message, { retriable: true });
  }
}

/** 4xx answers the sink handles itself (the client throws for the rest). */
export const HANDLED_STATUSES = [400, 401, 403, 404, 405, 409, 410, 412, 415, 422];

/** A 412 (someone changed the record since we read it) as the client reports it. */
export function isConflict(error: unknown): boolean {
  return error instanceof ConflictError || (error instanceof TargetError && error.status === 412);
}
