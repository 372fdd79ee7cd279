import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { authConfigSchema } from './config.ts';
import { requireRole } from './authorize.ts';
import { AuthFailure } from './errors.ts';
import { createTokenVerifier } from './verifier.ts';
import { createTestIssuer } from './testing.ts';

async function refusal(p: Promise<unknown>): Promise<AuthFailure> {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AuthFailure);
  return error as AuthFailure;
}

describe('token verification', () => {
  it('accepts a token signed by a key from a JWKS file and reads its roles', async () => {
    const issuer = await createTestIssuer();
    const file = await issuer.writeJwks(join(await mkdtemp(join(tmpdir(), 'jwks-')), 'jwks.json'));
    const verifier = await createTokenVerifier(authConfigSchema.parse({ jwksFile: file }));
    const principal = await verifier.verify(`Bearer ${await issuer.token({ sub: 'op-1', roles: ['operator', 'nonsense'] })}`);
    expect(principal).toEqual({ subject: 'op-1', roles: ['operator'] });
  });

  it('accepts a token whose key is served as a JWKS URL on loopback, checking issuer and audience', async () => {
    const issuer = await createTestIssuer();
    const served = await issuer.serveJwks();
    try {
      const verifier = await createTokenVerifier(authConfigSchema.parse({ jwksUrl: served.url, issuer: 'https://idp.test', audience: 'cr-api' }));
      const good = await issuer.token({ sub: 'agent-7', roles: ['agent'], issuer: 'https://idp.test', audience: 'cr-api' });
      expect((await verifier.verify(`Bearer ${good}`)).roles).toEqual(['agent']);
      const wrongAudience = await issuer.token({ sub: 'agent-7', roles: ['agent'], issuer: 'https://idp.test', audience: 'other' });
      expect((await refusal(verifier.verify(`Bearer ${wrongAudience}`))).status).toBe(401);
    } finally {
      await served.close();
    }
  });

  it('refuses missing, malformed, expired, foreign-key and shared-secret tokens with 401', async () => {
    const issuer = await createTestIssuer();
    const other = await createTestIssuer();
    const file = await issuer.writeJwks(join(await mkdtemp(join(tmpdir(), 'jwks-')), 'jwks.json'));
    const verifier = await createTokenVerifier(authConfigSchema.parse({ jwksFile: file }));
    const hs256 = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('1h').sign(new TextEncoder().encode('s'.repeat(32)));
    for (const header of [undefined, '', 'Basic abc', 'Bearer not.a.jwt',
      `Bearer ${await issuer.token({ roles: ['admin'], expiresIn: '-5m' })}`,
      `Bearer ${await other.token({ roles: ['admin'] })}`,
      `Bearer ${hs256}`]) {
      const failure = await refusal(verifier.verify(header));
      expect(failure.status).toBe(401);
      expect(failure.message).not.toMatch(/eyJ/);
    }
  });

  it('refuses an insufficient role with 403', () => {
    expect(() => requireRole({ subject: 's', roles: ['readonly'] }, ['operator', 'admin'])).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => requireRole({ subject: 's', roles: ['admin'] }, ['operator', 'admin'])).not.toThrow();
  });

  it('needs exactly one key source', () => {
    expect(authConfigSchema.safeParse({}).success).toBe(false);
    expect(authConfigSchema.safeParse({ jwksUrl: 'http://127.0.0.1/x', jwksFile: '/tmp/x' }).success).toBe(false);
  });
});
