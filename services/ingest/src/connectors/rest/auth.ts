import { AuthError, canonicalJson, sha256Hex } from '@cr/core';
import { clientCredentialsAuth, requestToken, type TokenProvider } from '@cr/fhir';
import { extractAll, type RestAuth } from '@cr/world-model';
import type { SecretStore } from '@cr/core';
import { secretAt } from '../../secrets.ts';
import { assertPublicUrl, type Resolver } from './ssrf.ts';

/** What to add to one request, and how to drop a credential the server refused. */
export interface Authorizer {
  /** Headers and query additions for a request with these query parameters. */
  authorize(params: Record<string, string>): Promise<{ headers: Record<string, string>; query: Record<string, string>; provider?: TokenProvider }>;
}

/**
 * Bearer-token exchange: a short-lived token per distinct combination of the
 * request's dynamic parameters (`params`), cached until it expires under a
 * one-way hash of those values (no identifier is kept in plain text), with one
 * mint in flight per key so concurrent requests share it. The exchange URL
 * passes the SSRF guard before every mint.
 */
export function tokenExchange(o: { auth: Extract<RestAuth, { type: 'token_exchange' }>; secret: string; allow: readonly string[]; timeoutMs: number; resolver?: Resolver; now?: () => number }) {
  const now = o.now ?? Date.now;
  const cache = new Map<string, { value: string; expiresAt: number }>();
  const inflight = new Map<string, Promise<{ value: string; expiresAt: number }>>();
  const mints = { count: 0 };
  const header = o.auth.secretHeader.template.replace('{secret}', o.secret);

  async function mint(values: Record<string, string>): Promise<{ value: string; expiresAt: number }> {
    await assertPublicUrl(o.auth.exchangeUrl, 'config.auth.exchangeUrl', o.allow, o.resolver);
    mints.count++;
    const res = await requestToken(o.auth.exchangeUrl, { json: values }, { headers: { [o.auth.secretHeader.name]: header }, timeoutMs: o.timeoutMs });
    const minted = extractAll(res.body, o.auth.tokenField)[0];
    if (typeof minted !== 'string' || !minted) throw new AuthError('token exchange returned no token');
    const ttl = Number(extractAll(res.body, o.auth.expiresInField)[0] ?? o.auth.defaultTtlSec);
    return { value: minted, expiresAt: now() + (Number.isFinite(ttl) && ttl > 0 ? ttl : o.auth.defaultTtlSec) * 1000 };
  }

  async function token(params: Record<string, string>): Promise<{ value: string; provider: TokenProvider }> {
    const values = Object.fromEntries(o.auth.params.map((p) => [p, params[p] ?? '']));
    const key = sha256Hex(canonicalJson(values));
    const provider: TokenProvider = { token: async () => (await token(params)).value, invalidate: () => { cache.delete(key); } };
    const cached = cache.get(key);
    if (cached && now() < cached.expiresAt - o.auth.renewBeforeMs) return { value: cached.value, provider };
    let pending = inflight.get(key);
    if (!pending) {
      pending = mint(values).finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    const fresh = await pending;
    cache.set(key, fresh);
    return { value: fresh.value, provider };
  }

  /** Cache keys are hashes of the parameter values; `cachedKeys` is for tests and metrics. */
  return { mints, token, cachedKeys: () => [...cache.keys()] };
}

/** Plans the authorizer for a REST source: secrets resolved and the exchange URL checked now. */
export async function createAuthorizer(auth: RestAuth, o: { secrets: SecretStore; ssrfAllow: readonly string[]; timeoutMs: number; resolver?: Resolver }): Promise<Authorizer> {
  switch (auth.type) {
    case 'none': return { authorize: async () => ({ headers: {}, query: {} }) };
    case 'api_key': {
      const key = await secretAt(o.secrets, 'config.auth.secretRef', auth.secretRef);
      return { authorize: async () => (auth.in === 'header' ? { headers: { [auth.name]: key }, query: {} } : { headers: {}, query: { [auth.name]: key } }) };
    }
    case 'bearer': {
      const token = await secretAt(o.secrets, 'config.auth.secretRef', auth.secretRef);
      return { authorize: async () => ({ headers: { authorization: `Bearer ${token}` }, query: {} }) };
    }
    case 'oauth2_client_credentials': {
      const provider = clientCredentialsAuth({ tokenUrl: auth.tokenUrl, clientId: auth.clientId, clientSecret: await secretAt(o.secrets, 'config.auth.clientSecretRef', auth.clientSecretRef), scopes: auth.scopes, renewBeforeMs: auth.renewBeforeMs, timeoutMs: o.timeoutMs });
      return { authorize: async () => ({ headers: { authorization: `Bearer ${await provider.token()}` }, query: {}, provider }) };
    }
    case 'token_exchange': {
      const secret = await secretAt(o.secrets, 'config.auth.secretRef', auth.secretRef);
      await assertPublicUrl(auth.exchangeUrl, 'config.auth.exchangeUrl', o.ssrfAllow, o.resolver);
      const exchange = tokenExchange({ auth, secret, allow: o.ssrfAllow, timeoutMs: o.timeoutMs, ...(o.resolver ? { resolver: o.resolver } : {}) });
      return {
        async authorize(params) {
          const t = await exchange.token(params);
          return { headers: { authorization: `Bearer ${t.value}` }, query: {}, provider: t.provider };
        },
      };
    }
  }
}
