import { AuthError } from '@cr/core';
import { requestToken } from './token-request.ts';
import { cachedToken, type TokenProvider } from './token-provider.ts';

export interface ClientCredentialsOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  renewBeforeMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

/** OAuth2 client credentials (client_secret_basic); token cached and renewed early. */
export function clientCredentialsAuth(o: ClientCredentialsOptions): TokenProvider {
  const now = o.now ?? Date.now;
  const basic = Buffer.from(`${encodeURIComponent(o.clientId)}:${encodeURIComponent(o.clientSecret)}`).toString('base64');
  return cachedToken(async () => {
    const res = await requestToken(o.tokenUrl, { form: { grant_type: 'client_credentials', ...(o.scopes.length ? { scope: o.scopes.join(' ') } : {}) } }, {
      headers: { authorization: `Basic ${basic}` }, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    });
    if (!res.accessToken) throw new AuthError(`token endpoint gave ${o.clientId} no access_token`);
    return { value: res.accessToken, expiresAt: now() + (res.expiresInSec ?? 300) * 1000 };
  }, o.renewBeforeMs ?? 30_000, now);
}
