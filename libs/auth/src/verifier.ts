import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from './config.ts';
import { AuthFailure } from './errors.ts';
import { isRole, type Principal } from './roles.ts';

export interface TokenVerifier {
  /** Verifies the `Authorization: Bearer <jwt>` header value; 401 AuthFailure when unusable. */
  verify(authorization: string | undefined): Promise<Principal>;
}

/** Asymmetric algorithms only: a shared-secret or `none` token is never accepted. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const FILE_RELOAD_MIN_MS = 5_000;

/** A key set read from a file; re-read (at most every 5 s) when a token names an unknown key. */
async function fileKeySet(path: string): Promise<JWTVerifyGetKey> {
  const load = async (): Promise<JWTVerifyGetKey> => createLocalJWKSet(JSON.parse(await readFile(path, 'utf8')) as JSONWebKeySet);
  let current = await load();
  let loadedAt = Date.now();
  return async (header, token) => {
    try {
      return await current(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || Date.now() - loadedAt < FILE_RELOAD_MIN_MS) throw error;
      current = await load();
      loadedAt = Date.now();
      return current(header, token);
    }
  };
}

function rolesOf(payload: JWTPayload, claim: string): Principal['roles'] {
  const raw = payload[claim];
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[\s,]+/) : [];
  return [...new Set(list.filter(isRole))];
}

/** A verifier for JWTs signed by keys from a JWKS URL or file. */
export async function createTokenVerifier(config: AuthConfig): Promise<TokenVerifier> {
  const keys: JWTVerifyGetKey = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : await fileKeySet(config.jwksFile!);
  return {
    async verify(authorization) {
      const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization?.trim() ?? '');
      if (!match) throw new AuthFailure(401, 'a bearer token is required');
      try {
        const { payload } = await jwtVerify(match[1]!, keys, {
          algorithms: ALGORITHMS,
          clockTolerance: config.clockToleranceSec,
          ...(config.issuer ? { issuer: config.issuer } : {}),
          ...(config.audience ? { audience: config.audience } : {}),
          requiredClaims: ['sub', 'exp'],
        });
        return { subject: payload.sub!, roles: rolesOf(payload, config.rolesClaim) };
      } catch (error) {
        // The code only (e.g. ERR_JWT_EXPIRED): never the token or its claims.
        const code = error instanceof joseErrors.JOSEError ? error.code : 'ERR_INVALID_TOKEN';
        throw new AuthFailure(401, `token refused (${code})`);
      }
    },
  };
}
