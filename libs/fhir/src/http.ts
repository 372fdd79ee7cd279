import type { Agent} from 'undici';
import { request, errors as undiciErrors } from 'undici';
import type { PipelineError } from '@cr/core';
import { AuthError, PayloadError, ThrottledError, TransportError, ConflictError, parseRetryAfter } from '@cr/core';

export interface FhirResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

export interface FhirHttpOptions {
  timeoutMs?: number;
  headers?: Record<string, string>;
  dispatcher?: Agent;
}

/** A FHIR HTTP error; its class says whether to retry. No body text is kept (it may hold PHI). */
export function errorForStatus(status: number, method: string, url: string, retryAfter: string | undefined, outcome?: unknown): PipelineError {
  const where = `${method} ${redactUrl(url)} -> ${status}`;
  const issue = outcomeSummary(outcome);
  const msg = issue ? `${where} (${issue})` : where;
  if (status === 429) return new ThrottledError(msg, { retryAfterMs: parseRetryAfter(retryAfter) });
  if (status === 401 || status === 403) return new AuthError(msg);
  if (status === 409 || status === 412) return new ConflictError(msg);
  if (status >= 500) return new TransportError(msg, { retryAfterMs: parseRetryAfter(retryAfter) });
  return new PayloadError(msg);
}

/** Only the OperationOutcome's codes, never its diagnostics text. */
function outcomeSummary(outcome: unknown): string | undefined {
  if (!outcome || typeof outcome !== 'object' || (outcome as { resourceType?: string }).resourceType !== 'OperationOutcome') return undefined;
  const issues = (outcome as { issue?: { severity?: string; code?: string }[] }).issue ?? [];
  return issues.map((i) => `${i.severity ?? '?'}:${i.code ?? '?'}`).join(',');
}

/** Path only: query strings may carry identifiers. */
export function redactUrl(url: string): string {
  try { const u = new URL(url); return `${u.origin}${u.pathname}`; } catch { return '(bad url)'; }
}

/**
 * One FHIR HTTP exchange. Resolves with 2xx (and 304/412 when `accept` lists them);
 * throws a classified PipelineError otherwise.
 */
export async function fhirRequest<T = unknown>(method: string, url: string, body?: unknown, options: FhirHttpOptions & { accept?: number[] } = {}): Promise<FhirResponse<T>> {
  let res;
  try {
    res = await request(url, {
      method: method as 'GET',
      headers: {
        accept: 'application/fhir+json',
        ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
        ...options.headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: options.timeoutMs ?? 15_000,
      bodyTimeout: options.timeoutMs ?? 15_000,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  } catch (error) {
    if (error instanceof undiciErrors.UndiciError || (error as NodeJS.ErrnoException).code) {
      throw new TransportError(`${method} ${redactUrl(url)} failed: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  }
  const text = await res.body.text().catch((error: unknown) => { throw new TransportError(`${method} ${redactUrl(url)} body failed`, { cause: error }); });
  let parsed: unknown = undefined;
  if (text) {
    try { parsed = JSON.parse(text); } catch { if (res.statusCode < 300) throw new PayloadError(`${method} ${redactUrl(url)} returned non-JSON`); }
  }
  const ok = (res.statusCode >= 200 && res.statusCode < 300) || (options.accept ?? []).includes(res.statusCode);
  if (!ok) {
    const retryAfter = res.headers['retry-after'];
    throw errorForStatus(res.statusCode, method, url, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, parsed);
  }
  return { status: res.statusCode, headers: res.headers, body: parsed as T };
}
