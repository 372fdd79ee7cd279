import { randomUUID } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import { AuthError, PayloadError } from '@cr/core';
import { fhirRequest } from '../http.ts';
import { requestToken } from './token-request.ts';
import { cachedToken, type TokenProvider } from './token-provider.ts';

export interface SmartBackendOptions {
  fhirBaseUrl: string;
  clientId: string;
  /** PKCS#8 PEM, from the secret store. */
  privateKeyPem: string;
  keyId: string;
  algorithm: 'RS384' | 'ES384';
  scopes: readonly string[];
  tokenEndpoint?: string;
  renewBeforeMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

export interface SmartBackendAuth extends TokenProvider {
  /** The token endpoint (discovered or configured). */
  tokenEndpoint(): Promise<string>;
  /** Scopes granted with the current token (the requested ones until a token was minted). */
  grantedScopes(): readonly string[];
}

/** Assertions live for at most five minutes (SMART Backend Services); we use four. */
export const ASSERTION_LIFETIME_SEC = 240;

/** The token endpoint from `<base>/.well-known/smart-configuration`. */
export async function discoverTokenEndpoint(fhirBaseUrl: string, timeoutMs?: number): Promise<string> {
  const res = await fhirRequest<{ token_endpoint?: unknown }>('GET', `${fhirBaseUrl.replace(/\/$/, '')}/.well-known/smart-configuration`, undefined, {
    headers: { accept: 'application/json' }, ...(timeoutMs ? { timeoutMs } : {}),
  });
  const endpoint = res.body?.token_endpoint;
  if (typeof endpoint !== 'string' || !/^https?:\/\//.test(endpoint)) throw new PayloadError('smart-configuration has no token_endpoint');
  return endpoint;
}

/**
 * SMART Backend Services: a JWT client assertion (`iss` = `sub` = client id,
 * `aud` = token endpoint, `exp` <= 5 min ahead, unique `jti`, `kid` header),
 * signed RS384 or ES384, exchanged for a `client_credentials` token with
 * `system/` scopes. The token is cached and renewed before it expires.
 */
export function smartBackendAuth(o: SmartBackendOptions): SmartBackendAuth {
  const now = o.now ?? Date.now;
  let endpoint: Promise<string> | undefined;
  let granted: readonly string[] = o.scopes;
  let keyPromise: ReturnType<typeof importPKCS8> | undefined;
  const key = (): ReturnType<typeof importPKCS8> => (keyPromise ??= loadPrivateKey(o.privateKeyPem, o.algorithm));
  const tokenEndpoint = (): Promise<string> => {
    endpoint ??= (o.tokenEndpoint ? Promise.resolve(o.tokenEndpoint) : discoverTokenEndpoint(o.fhirBaseUrl, o.timeoutMs)).catch((e: unknown) => { endpoint = undefined; throw e; });
    return endpoint;
  };
  const provider = cachedToken(async () => {
    const aud = await tokenEndpoint();
    const issuedAt = Math.floor(now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: o.algorithm, kid: o.keyId, typ: 'JWT' })
      .setIssuer(o.clientId).setSubject(o.clientId).setAudience(aud)
      .setIssuedAt(issuedAt).setExpirationTime(issuedAt + ASSERTION_LIFETIME_SEC).setJti(randomUUID())
      .sign(await key());
    const res = await requestToken(aud, { form: {
      grant_type: 'client_credentials',
      scope: o.scopes.join(' '),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    } }, o.timeoutMs ? { timeoutMs: o.timeoutMs } : {});
    if (!res.accessToken) throw new AuthError(`token endpoint gave ${o.clientId} no access_token`);
    granted = res.scope ? res.scope.split(/\s+/).filter(Boolean) : o.scopes;
    return { value: res.accessToken, expiresAt: now() + (res.expiresInSec ?? 300) * 1000 };
  }, o.renewBeforeMs ?? 60_000, now);
  return { ...provider, tokenEndpoint, grantedScopes: () => granted };
}

/** Imports a PKCS#8 PEM for signing; an AuthError (never the key text) when it does not fit `algorithm`. */
export async function loadPrivateKey(pem: string, algorithm: 'RS384' | 'ES384'): ReturnType<typeof importPKCS8> {
  try { return await importPKCS8(pem, algorithm); } catch { throw new AuthError(`not a PKCS#8 private key for ${algorithm}`); }
}

/** Whether `system/` scopes allow reading `resourceType`. */
export function scopeAllowsRead(scopes: readonly string[], resourceType: string): boolean {
  return scopes.some((s) => {
    const m = /^system\/(\*|[A-Za-z]+)\.(.+)$/.exec(s);
    if (!m || (m[1] !== '*' && m[1] !== resourceType)) return false;
    const action = m[2]!;
    // SMART v1 (`read`, `*`) or v2 (`rs`, `cruds`: letters in that order, `r` among them).
    return action === 'read' || action === '*' || (/^c?r?u?d?s?$/.test(action) && action.includes('r'));
  });
}
