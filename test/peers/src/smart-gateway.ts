import { listen, json } from './http-util.ts';
import { createTokenIssuer, type AssertionClient, type TokenEndpointStats } from './token-endpoint.ts';

export interface SmartGateway {
  /** FHIR base behind SMART auth, e.g. http://127.0.0.1:P/fhir/R4 */
  fhirUrl: string;
  tokenUrl: string;
  stats: TokenEndpointStats & { byResourceType: Record<string, number>; unauthorized: number; forbidden: number };
  close(): Promise<void>;
}

/**
 * The test FHIR server behind SMART Backend Services: serves
 * `.well-known/smart-configuration` and a token endpoint that verifies
 * assertions, then lets a FHIR request through only with a live bearer token
 * whose `system/` scopes cover the resource type (401 / 403 otherwise).
 */
export async function createSmartGateway(o: { upstream: string; clients: AssertionClient[]; tokenTtlSec?: number }): Promise<SmartGateway> {
  const upstream = o.upstream.replace(/\/$/, '');
  let origin = '';
  const issuer = createTokenIssuer({ tokenUrl: () => `${origin}/auth/token`, clients: o.clients, ...(o.tokenTtlSec ? { tokenTtlSec: o.tokenTtlSec } : {}) });
  const stats = Object.assign(issuer.stats, { byResourceType: {} as Record<string, number>, unauthorized: 0, forbidden: 0 });
  const allows = (scopes: string[], type: string): boolean => scopes.some((s) => s === `system/${type}.read` || s === `system/*.read` || s === `system/${type}.rs` || s === `system/${type}.*`);
  const http = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/fhir/R4/.well-known/smart-configuration') {
      return json(res, 200, { token_endpoint: `${origin}/auth/token`, grant_types_supported: ['client_credentials'], token_endpoint_auth_methods_supported: ['private_key_jwt'], token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'], scopes_supported: ['system/*.read'] });
    }
    if (url.pathname === '/auth/token' && req.method === 'POST') return issuer.handle(req, res);
    if (!url.pathname.startsWith('/fhir/R4/')) return json(res, 404, { error: 'not found' });
    const type = url.pathname.slice('/fhir/R4/'.length).split('/')[0] ?? '';
    stats.byResourceType[type] = (stats.byResourceType[type] ?? 0) + 1;
    const token = issuer.lookup(req.headers.authorization);
    if (!token) { stats.unauthorized++; return json(res, 401, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] }); }
    if (!allows(token.scopes, type)) { stats.forbidden++; return json(res, 403, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden' }] }); }
    const up = await fetch(`${upstream}${url.pathname.slice('/fhir/R4'.length)}${url.search}`, { headers: { accept: 'application/fhir+json' } });
    const text = (await up.text()).split(upstream).join(`${origin}/fhir/R4`);
    res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/fhir+json', ...(up.headers.get('retry-after') ? { 'retry-after': up.headers.get('retry-after')! } : {}) }).end(text);
  });
  origin = http.origin;
  return { fhirUrl: `${origin}/fhir/R4`, tokenUrl: `${origin}/auth/token`, stats, close: http.close };
}
