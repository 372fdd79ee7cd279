/**
 * One error hierarchy for the whole runner. `retriable` is what retry loops read:
 * a retriable error is tried again with backoff, anything else goes to a dead
 * letter (or fails start-up) at once. Never put payloads or secrets in messages.
 */
export type ErrorClass = 'transport' | 'auth' | 'throttling' | 'schema' | 'payload' | 'config' | 'conflict' | 'internal';

export interface PipelineErrorOptions {
  cause?: unknown;
  retriable?: boolean;
  /** Server-requested wait before the next attempt (e.g. from Retry-After). */
  retryAfterMs?: number;
}

export class PipelineError extends Error {
  readonly errorClass: ErrorClass = 'internal';
  readonly retriable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Network, timeouts, 5xx: worth another try. */
export class TransportError extends PipelineError {
  override readonly errorClass = 'transport';
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(message, { retriable: true, ...options });
  }
}

/** 429 or an explicit back-off request. */
export class ThrottledError extends PipelineError {
  override readonly errorClass = 'throttling';
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(message, { retriable: true, ...options });
  }
}

/** 401/403, bad credentials: retrying blindly will not help. */
export class AuthError extends PipelineError {
  override readonly errorClass = 'auth';
}

/** A message that cannot be decoded or a schema the registry refuses. */
export class SchemaError extends PipelineError {
  override readonly errorClass = 'schema';
}

/** Input that is well-formed on the wire but wrong in content. */
export class PayloadError extends PipelineError {
  override readonly errorClass = 'payload';
}

/** Invalid configuration; `issues` name every bad field by its dotted path. */
export class ConfigError extends PipelineError {
  override readonly errorClass = 'config';
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[] = []) {
    super(issues.length ? `${message}:\n  - ${issues.join('\n  - ')}` : message);
    this.issues = issues;
  }
}

/** Optimistic-lock or version conflict: re-read and try again. */
export class ConflictError extends PipelineError {
  override readonly errorClass = 'conflict';
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(message, { retriable: true, ...options });
  }
}

export function isRetriable(err: unknown): boolean {
  return err instanceof PipelineError ? err.retriable : false;
}

export function errorClassOf(err: unknown): ErrorClass {
  return err instanceof PipelineError ? err.errorClass : 'internal';
}

/** A short, payload-free description for logs and dead-letter headers. */
export function describeError(err: unknown): { name: string; errorClass: ErrorClass; message: string } {
  if (err instanceof Error) return { name: err.name, errorClass: errorClassOf(err), message: err.message.slice(0, 500) };
  return { name: 'NonError', errorClass: 'internal', message: String(err).slice(0, 500) };
}
