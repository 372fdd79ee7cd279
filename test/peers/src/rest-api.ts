import { randomBytes } from 'node:crypto';
import { json, listen, readBody } from './http-util.ts';

export interface Item { id: string; name: string; practice: string; updatedAt: string }

export interface RestApiStats {
  /** GETs under /api by pagination style. */
  requests: Record<string, number>;
  /** Tokens minted at /exchange, by practice. */
  mints: Record<string, number>;
  unauthorized: number;
  throttled: number;
}

export interface RestApi {
  url: string;
  items: Item[];
  stats: RestApiStats;
  upsert(item: Omit<Item, 'updatedAt'>): void;
  /** The next `count` /api requests answer 429 with this Retry-After. */
  throttle(count: number, retryAfter: string): void;
  close(): Promise<void>;
}

export interface RestApiOptions {
  apiKey?: string;
  staticBearer?: string;
  /** Secret the exchange endpoint wants in `x-exchange-secret: Key <secret>`. */
  exchangeSecret?: string;
  exchangeTtlSec?: number;
  /** Slow mints make concurrent requests overlap (single-flight test). */
  exchangeDelayMs?: number;
  itemCount?: number;
}

/**
 * A REST API with every pagination style over the same items:
 *  - `/api/page/items?page=&per_page=`       → `{ data, page, total }`
 *  - `/api/offset/items?offset=&limit=`      → `{ data }`
 *  - `/api/cursor/items?cursor=&limit=`      → `{ data, next_cursor }`
 *  - `/api/link/items?page=`                 → array body, `Link: <...>; rel="next"`
 * Each takes `updated_since` and `practice` filters. Auth: an API key, a static
 * bearer, or a token minted at `POST /exchange` (body `{ practice }`), which is
 * only good for that practice's requests.
 */
export async function createRestApi(o: RestApiOptions = {}): Promise<RestApi> {
  const stats: RestApiStats = { requests: {}, mints: {}, unauthorized: 0, throttled: 0 };
  const tokens = new Map<string, { practice: string; expiresAt: number }>();
  let throttle = { count: 0, retryAfter: '1' };
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const stamp = (): string => new Date((clock += 1000)).toISOString();
  const items: Item[] = [];
  for (let i = 0; i < (o.itemCount ?? 23); i++) items.push({ id: `it-${String(i).padStart(3, '0')}`, name: `Item ${i}`, practice: i % 2 ? 'p2' : 'p1', updatedAt: stamp() });

  const http = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/exchange' && req.method === 'POST') {
      if (req.headers['x-exchange-secret'] !== `Key ${o.exchangeSecret}`) { stats.unauthorized++; return json(res, 401, { error: 'bad secret' }); }
      const body = JSON.parse((await readBody(req)) || '{}') as { practice?: string };
      if (!body.practice) return json(res, 400, { error: 'practice required' });
      if (o.exchangeDelayMs) await new Promise((r) => setTimeout(r, o.exchangeDelayMs));
      const token = randomBytes(16).toString('hex');
      const ttl = o.exchangeTtlSec ?? 60;
      tokens.set(token, { practice: body.practice, expiresAt: Date.now() + ttl * 1000 });
      stats.mints[body.practice] = (stats.mints[body.practice] ?? 0) + 1;
      return json(res, 200, { result: { token }, expires_in: ttl });
    }
    const m = /^\/api\/(page|offset|cursor|link)\/items$/.exec(url.pathname);
    if (!m) return json(res, 404, { error: 'not found' });
    const style = m[1]!;
    stats.requests[style] = (stats.requests[style] ?? 0) + 1;
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
    const exchanged = bearer ? tokens.get(bearer) : undefined;
    const ok = (o.apiKey !== undefined && req.headers['x-api-key'] === o.apiKey)
      || (o.staticBearer !== undefined && bearer === o.staticBearer)
      || (exchanged !== undefined && exchanged.expiresAt > Date.now() && exchanged.practice === url.searchParams.get('practice'));
    if (!ok) { stats.unauthorized++; return json(res, 401, { error: 'unauthorized' }); }
    if (throttle.count > 0) { throttle.count--; stats.throttled++; return json(res, 429, { error: 'slow down' }, { 'retry-after': throttle.retryAfter }); }
    const since = url.searchParams.get('updated_since');
    const practice = url.searchParams.get('practice');
    const matching = items.filter((i) => (!since || i.updatedAt > since) && (!practice || i.practice === practice)).sort((a, b) => a.id.localeCompare(b.id));
    const n = (name: string, d: number): number => Number(url.searchParams.get(name) ?? d);
    switch (style) {
      case 'page': {
        const page = n('page', 1); const size = n('per_page', 10);
        return json(res, 200, { data: matching.slice((page - 1) * size, page * size), page, total: matching.length });
      }
      case 'offset': return json(res, 200, { data: matching.slice(n('offset', 0), n('offset', 0) + n('limit', 10)) });
      case 'cursor': {
        const start = url.searchParams.get('cursor') ? Number(Buffer.from(url.searchParams.get('cursor')!, 'base64url').toString()) : 0;
        const size = n('limit', 10);
        const end = start + size;
        return json(res, 200, { data: matching.slice(start, end), next_cursor: end < matching.length ? Buffer.from(String(end)).toString('base64url') : null });
      }
      default: {
        const page = n('page', 1); const size = 7;
        const next = new URL(`${http.origin}${url.pathname}${url.search}`);
        next.searchParams.set('page', String(page + 1));
        const more = page * size < matching.length;
        return json(res, 200, matching.slice((page - 1) * size, page * size), more ? { link: `<${next}>; rel="next", <${http.origin}${url.pathname}>; rel="first"` } : {});
      }
    }
  });
  return {
    url: http.origin, items, stats,
    upsert(item) {
      const at = items.findIndex((i) => i.id === item.id);
      const next = { ...item, updatedAt: stamp() };
      if (at >= 0) items[at] = next; else items.push(next);
    },
    throttle(count, retryAfter) { throttle = { count, retryAfter }; },
    close: http.close,
  };
}
