import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http.ts';
import type { Reply, Route } from '../router.ts';
import { loadAssets, securityHeaders, type Asset } from './assets.ts';

/**
 * The Data Sources dashboard: a static page (HTML, CSS, one browser module)
 * that calls the /v1/pipeline endpoints with the operator's token. The page
 * itself holds no data, so it is served without a token.
 */
export function dashboardRoutes(assets: Map<string, Asset> = loadAssets()): Route[] {
  const serve = (name: string, req: IncomingMessage): Reply => {
    const asset = assets.get(name);
    if (!asset) throw new HttpError(404, 'not_found', 'no such dashboard file');
    // Revalidate every time (cheap: a 304 on an unchanged ETag), so a new page never runs an old script.
    const headers = { ...securityHeaders(), 'content-type': asset.contentType, 'cache-control': 'no-cache', etag: asset.etag };
    if (req.headers['if-none-match'] === asset.etag) return { status: 304, headers, body: Buffer.alloc(0) };
    return { status: 200, headers: { ...headers, 'content-length': String(asset.body.length) }, body: asset.body };
  };
  return [
    { method: 'GET', path: '/dashboard', roles: [], public: true, handle: async ({ req }) => serve('index.html', req) },
    // Only the files loaded at start-up: the name is a key into that map, never a path on disk.
    { method: 'GET', path: '/dashboard/:asset', roles: [], public: true, handle: async ({ req, params }) => serve(params.asset ?? '', req) },
  ];
}
