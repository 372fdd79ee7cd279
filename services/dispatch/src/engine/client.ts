import { request, type Dispatcher } from 'undici';
import { AuthError, PayloadError, ThrottledError, TransportError, parseRetryAfter, type PipelineError } from '@cr/core';

/** The request that starts an interaction. Carries the patient's projected context: never logged. */
export interface InteractionRequest {
  attemptId: string;
  taskId: string;
  workspaceId: string;
  purpose: string;
  channel: 'voice' | 'text';
  priority: number;
  patient: { entityId: string; fields: Record<string, unknown> };
  subject: { entityId: string; entityType: string; fields: Record<string, unknown> } | null;
}

export interface InteractionStatus { interactionId: string; status: string; outcome?: string }

/** The engine does not know the interaction (404). */
export class InteractionUnknown extends PayloadError {}

/** No answer at all (connection refused, timeout): the engine may or may not have acted on the request. */
export class EngineUnreachable extends TransportError {}

export interface EngineClient {
  /** Free capacity the engine reports. */
  available(): Promise<number>;
  /** Starts an interaction; the attempt id is the idempotency key, so a repeat returns the same interaction. */
  start(body: InteractionRequest): Promise<InteractionStatus>;
  status(interactionId: string): Promise<InteractionStatus>;
  close(): Promise<void>;
}

function errorFor(status: number, what: string, retryAfter: string | undefined): PipelineError {
  const msg = `${what} -> ${status}`;
  if (status === 429) return new ThrottledError(msg, { retryAfterMs: parseRetryAfter(retryAfter) });
  if (status === 401 || status === 403) return new AuthError(msg);
  if (status >= 500) return new TransportError(msg, { retryAfterMs: parseRetryAfter(retryAfter) });
  if (status === 404) return new InteractionUnknown(msg);
  return new PayloadError(msg);
}

/**
 * The agent engine over HTTP (undici). Errors are classified: 429 throttled,
 * 5xx transport (retriable), 401/403 auth, other 4xx payload, no answer
 * EngineUnreachable. Messages carry the method, path and status only.
 */
export function createEngineClient(o: { url: string; token?: string | undefined; timeoutMs: number; dispatcher?: Dispatcher }): EngineClient {
  const base = o.url.replace(/\/+$/, '');
  /** `what` names the call in errors: method and route, never ids or bodies. */
  async function call<T>(method: 'GET' | 'POST', path: string, what: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res;
    try {
      res = await request(`${base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...headers,
        },
        body: body === undefined ? null : JSON.stringify(body),
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
        ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}),
      });
    } catch (error) {
      throw new EngineUnreachable(`${what} failed: ${(error as Error).message}`, { cause: error });
    }
    const text = await res.body.text().catch((error: unknown) => { throw new EngineUnreachable(`${what} body failed`, { cause: error }); });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const ra = res.headers['retry-after'];
      throw errorFor(res.statusCode, what, Array.isArray(ra) ? ra[0] : ra);
    }
    try { return JSON.parse(text) as T; } catch { throw new PayloadError(`${what} returned non-JSON`); }
  }

  return {
    async available() {
      const c = await call<{ available?: unknown }>('GET', '/v1/capacity', 'GET /v1/capacity');
      if (typeof c.available !== 'number') throw new PayloadError('GET /v1/capacity returned no available count');
      return c.available;
    },
    async start(body) {
      const r = await call<InteractionStatus>('POST', '/v1/interactions', 'POST /v1/interactions', body, { 'idempotency-key': body.attemptId });
      if (typeof r.interactionId !== 'string' || !r.interactionId) throw new PayloadError('POST /v1/interactions returned no interactionId');
      return r;
    },
    status: (interactionId) => call<InteractionStatus>('GET', `/v1/interactions/${encodeURIComponent(interactionId)}`, 'GET /v1/interactions/:id'),
    async close() { /* the global dispatcher is shared; nothing of ours to close */ },
  };
}
