import { request } from 'undici';
import { TransportError } from '@cr/core';
import { errorForStatus, redactUrl } from './http.ts';

export interface TextResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * An HTTP exchange whose body is not one JSON document (NDJSON downloads,
 * 202 status answers). Resolves for 2xx; throws the same classified errors as
 * `fhirRequest` otherwise.
 */
export async function fhirRequestText(method: string, url: string, options: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<TextResponse> {
  let res;
  try {
    res = await request(url, { method: method as 'GET', headers: { accept: 'application/fhir+json', ...options.headers }, headersTimeout: options.timeoutMs ?? 30_000, bodyTimeout: options.timeoutMs ?? 30_000 });
  } catch (error) {
    throw new TransportError(`${method} ${redactUrl(url)} failed: ${(error as Error).message}`, { cause: error });
  }
  const text = await res.body.text().catch((error: unknown) => { throw new TransportError(`${method} ${redactUrl(url)} body failed`, { cause: error }); });
  if (res.statusCode < 200 || res.statusCode >= 300) {
    const retryAfter = res.headers['retry-after'];
    let outcome: unknown;
    try { outcome = text ? JSON.parse(text) : undefined; } catch { outcome = undefined; }
    throw errorForStatus(res.statusCode, method, url, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, outcome);
  }
  return { status: res.statusCode, headers: res.headers, text };
}

/** A single header value. */
export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

