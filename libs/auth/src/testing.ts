import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import type { Role } from './roles.ts';

/**
 * A token issuer for tests and the demo: a fresh ES256 key pair whose public key
 * is written as a JWKS file or served on loopback, and tokens minted with it.
 */
export interface TestIssuer {
  readonly jwks: { keys: JWK[] };
  /** Writes the public JWKS to `path` (for API_JWKS_FILE). */
  writeJwks(path: string): Promise<string>;
  /** Serves the public JWKS on 127.0.0.1 (for API_JWKS_URL). */
  serveJwks(): Promise<{ url: string; close(): Promise<void> }>;
  token(claims: { sub?: string; roles?: readonly (Role | string)[]; expiresIn?: string; issuer?: string; audience?: string }): Promise<string>;
  /** `{ authorization: 'Bearer …' }` for a subject with these roles. */
  headers(roles: readonly (Role | string)[], sub?: string): Promise<Record<string, string>>;
}

export async function createTestIssuer(): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const jwks = { keys: [jwk] };
  const token: TestIssuer['token'] = async (claims) => {
    let jwt = new SignJWT({ roles: [...(claims.roles ?? [])] })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject(claims.sub ?? 'test-user')
      .setIssuedAt()
      .setExpirationTime(claims.expiresIn ?? '1h');
    if (claims.issuer) jwt = jwt.setIssuer(claims.issuer);
    if (claims.audience) jwt = jwt.setAudience(claims.audience);
    return jwt.sign(privateKey as CryptoKey);
  };
  return {
    jwks,
    async writeJwks(path) {
      await writeFile(path, JSON.stringify(jwks));
      return path;
    },
    async serveJwks() {
      const server: Server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}/jwks.json`, close: () => new Promise<void>((r) => server.close(() => r())) };
    },
    token,
    async headers(roles, sub = 'test-user') {
      return { authorization: `Bearer ${await token({ sub, roles })}` };
    },
  };
}
