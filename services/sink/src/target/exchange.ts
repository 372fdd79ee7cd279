import { fhirRequest, type FhirResponse, type TokenProvider } from '@cr/fhir';
import { HANDLED_STATUSES, TargetError } from './target-error.ts';

export interface ExchangeOptions {
  recordType: string;
  headers?: Record<string, string>;
  /** Statuses returned to the caller instead of thrown (e.g. 404 on a read). */
  pass?: readonly number[];
  auth?: TokenProvider;
  timeoutMs: number;
  /** JSON content types for crm/rest; FHIR's by default. */
  json?: boolean;
}

/**
 * One HTTP exchange with a target. 429 and 5xx throw retriable errors (with
 * Retry-After); other refusals throw a TargetError carrying status and outcome;
 * a 401 renews the token once.
 */
export async function exchange<T = unknown>(method: string, url: string, body: unknown, o: ExchangeOptions): Promise<FhirResponse<T>> {
  for (let attempt = 1; ; attempt++) {
    const headers: Record<string, string> = { ...(o.json ? { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) } : {}), ...o.headers };
    if (o.auth) headers.authorization = `Bearer ${await o.auth.token()}`;
    const res = await fhirRequest<T>(method, url, body, { headers, timeoutMs: o.timeoutMs, accept: HANDLED_STATUSES });
    if (res.status < 300 || o.pass?.includes(res.status)) return res;
    if (res.status === 401 && o.auth && attempt === 1) { o.auth.invalidate(); continue; }
    const retryAfter = res.headers['retry-after'];
    throw new TargetError(res.status, method, url, o.recordType, res.body, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
  }
}

/** A response header as one string. */
export function header(res: FhirResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
