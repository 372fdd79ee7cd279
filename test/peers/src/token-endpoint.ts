import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { json, readBody } from './http-util.ts';

export interface AssertionClient {
  clientId: string;
  /** Public keys by `kid` (SMART Backend Services). */
  jwks?: (JWK & { kid: string })[];
  /** client_secret_basic (plain OAuth2 client credentials). */
  clientSecret?: string;
  /** What this client may be granted; a request for more is narrowed to this. */
  allowedScopes: string[];
}

export interface IssuedToken { clientId: string; scopes: string[]; expiresAt: number }

export interface TokenEndpointStats {
  issued: number;
  /** Refusals by reason: bad_signature, bad_claims, jti_reused, exp_too_far, unknown_client, ... */
  refused: Record<string, number>;
}

/**
 * An OAuth2 token endpoint that checks SMART Backend Services assertions as a
 * real server does: signature (RS384/ES384) against the client's registered
 * key by `kid`; `iss` = `sub` = client id; `aud` = this endpoint; `exp` at most
 * five minutes ahead; a `jti` never seen before. Also client_secret_basic.
 */
export function createTokenIssuer(o: { tokenUrl: () => string; clients: AssertionClient[]; tokenTtlSec?: number }) {
  const seenJti = new Map<string, number>();
  const tokens = new Map<string, IssuedToken>();
  const stats: TokenEndpointStats = { issued: 0, refused: {} };
  const refuse = (res: ServerResponse, reason: string, status = 400): void => {
    stats.refused[reason] = (stats.refused[reason] ?? 0) + 1;
    json(res, status, { error: status === 401 ? 'invalid_client' : 'invalid_grant', error_description: reason });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    if (form.get('grant_type') !== 'client_credentials') return refuse(res, 'unsupported_grant_type');
    let client: AssertionClient | undefined;
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64').toString().split(':').map(decodeURIComponent);
      client = o.clients.find((c) => c.clientId === id && c.clientSecret !== undefined && c.clientSecret === secret);
      if (!client) return refuse(res, 'unknown_client', 401);
    } else {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return refuse(res, 'no_assertion', 401);
      const assertion = form.get('client_assertion') ?? '';
      let iss: unknown; let kid: unknown; let alg: unknown;
      try { iss = decodeJwt(assertion).iss; ({ kid, alg } = decodeProtectedHeader(assertion)); } catch { return refuse(res, 'malformed_assertion', 401); }
      client = o.clients.find((c) => c.clientId === iss);
      const jwk = client?.jwks?.find((k) => k.kid === kid);
      if (!client || !jwk) return refuse(res, 'unknown_client', 401);
      if (alg !== 'RS384' && alg !== 'ES384') return refuse(res, 'bad_alg', 401);
      let payload;
      try {
        ({ payload } = await jwtVerify(assertion, await importJWK(jwk, alg), { algorithms: [alg], issuer: client.clientId, subject: client.clientId, audience: o.tokenUrl() }));
      } catch (e) {
        return refuse(res, (e as { code?: string }).code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'bad_signature' : 'bad_claims', 401);
      }
      const now = Math.floor(Date.now() / 1000);
      if (typeof payload.exp !== 'number' || payload.exp > now + 300) return refuse(res, 'exp_too_far', 401);
      if (typeof payload.jti !== 'string' || !payload.jti) return refuse(res, 'no_jti', 401);
      for (const [j, exp] of seenJti) if (exp < now - 60) seenJti.delete(j);
      if (seenJti.has(payload.jti)) return refuse(res, 'jti_reused');
      seenJti.set(payload.jti, payload.exp);
    }
    const requested = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const granted = (requested.length ? requested : client.allowedScopes).filter((s) => client!.allowedScopes.includes(s));
    const ttl = o.tokenTtlSec ?? 300;
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, { clientId: client.clientId, scopes: granted, expiresAt: Date.now() + ttl * 1000 });
    stats.issued++;
    json(res, 200, { access_token: token, token_type: 'bearer', expires_in: ttl, scope: granted.join(' ') });
  }

  return {
    handle,
    stats,
    /** The live token for a bearer value, if any. */
    lookup(authorization: string | undefined): IssuedToken | undefined {
      const m = /^Bearer (.+)$/.exec(authorization ?? '');
      const t = m ? tokens.get(m[1]!) : undefined;
      return t && t.expiresAt > Date.now() ? t : undefined;
    },
  };
}

export type TokenIssuer = ReturnType<typeof createTokenIssuer>;
