import { AuthError, PayloadError, PipelineError, TransportError } from '@cr/core';

const PAYLOAD_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP']);
const AUTH_TYPES = new Set(['TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'SASL_AUTHENTICATION_FAILED']);

function rootCause(err: unknown): { type?: string; name?: string; message?: string } {
  let e = err as { cause?: unknown; type?: string; name?: string; message?: string } | undefined;
  for (let i = 0; i < 10 && e?.cause; i++) e = e.cause as typeof e;
  return e ?? {};
}

/**
 * Maps a client error onto our hierarchy. Most client failures (broker down,
 * leader moving, unknown topic, retries exhausted) are transport problems and
 * retriable; an oversized or malformed record is a payload problem.
 */
export function fromKafkaError(err: unknown, what: string): PipelineError {
  if (err instanceof PipelineError) return err;
  const root = rootCause(err);
  const top = err as { name?: string; message?: string; type?: string };
  const type = top.type ?? root.type;
  const detail = `${top.name ?? 'Error'}: ${top.message ?? String(err)}${root !== top && root.message ? ` (cause: ${root.message})` : ''}`.slice(0, 500);
  if (type && PAYLOAD_TYPES.has(type)) return new PayloadError(`${what}: ${detail}`, { cause: err });
  if (type && AUTH_TYPES.has(type)) return new AuthError(`${what}: ${detail}`, { cause: err });
  return new TransportError(`${what}: ${detail}`, { cause: err });
}
