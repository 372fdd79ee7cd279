import { request } from 'undici';
import { AuthError, PayloadError, TransportError, type PipelineError } from '@cr/core';
import { errorForStatus, redactUrl } from '../http.ts';

export interface TokenResponse {
  accessToken: string;
  expiresInSec: number | undefined;
  /** Space-separated scopes the server granted, when it says. */
  scope: string | undefined;
  /** The whole JSON answer (for token fields at other paths); never log it. */
  body: Record<string, unknown>;
}

/**
 * POSTs to an OAuth2 token endpoint (form or JSON body). 400/401/403 are auth
 * errors (bad client, bad assertion, reused jti): retrying the same request
 * blindly will not help. 429 and 5xx are retriable as usual.
 */
export async function requestToken(url: string, body: { form?: Record<string, string>; json?: unknown }, options: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<TokenResponse> {
  let res;
  try {
    res = await request(url, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': body.form ? 'application/x-www-form-urlencoded' : 'application/json',
        ...options.headers,
      },
      body: body.form ? new URLSearchParams(body.form).toString() : JSON.stringify(body.json ?? {}),
      headersTimeout: options.timeoutMs ?? 15_000,
      bodyTimeout: options.timeoutMs ?? 15_000,
    });
  } catch (error) {
    throw new TransportError(`POST ${redactUrl(url)} failed: ${(error as Error).message}`, { cause: error });
  }
  const text = await res.body.text();
  if (res.statusCode >= 400) {
    const retryAfter = res.headers['retry-after'];
    const classified: PipelineError = errorForStatus(res.statusCode, 'POST', url, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    if (res.statusCode === 400) throw new AuthError(`POST ${redactUrl(url)} -> 400 (${oauthError(text)})`);
    throw classified;
  }
  let parsed: Record<string, unknown>;
  try { parsed = JSON.parse(text) as Record<string, unknown>; } catch { throw new PayloadError(`POST ${redactUrl(url)} returned non-JSON`); }
  const accessToken = parsed.access_token;
  return {
    accessToken: typeof accessToken === 'string' ? accessToken : '',
    expiresInSec: typeof parsed.expires_in === 'number' ? parsed.expires_in : undefined,
    scope: typeof parsed.scope === 'string' ? parsed.scope : undefined,
    body: parsed,
  };
}

/** The OAuth2 `error` code only; descriptions may echo request data. */
function oauthError(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    return typeof e === 'string' ? e.slice(0, 40) : 'error';
  } catch { return 'error'; }
}
