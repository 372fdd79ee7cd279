import { PayloadError } from '@cr/core';
import { fhirRequest, redactUrl } from '@cr/fhir';
import { extractAll, type RestConfig, type RestEndpoint } from '@cr/world-model';
import type { ConnectorContext } from '../../connector.ts';
import type { Candidate } from '../../records/emitter.ts';
import type { Authorizer } from './auth.ts';
import { firstPage, nextPage } from './paginate.ts';

const MAX_PAGES = 10_000;

/**
 * One cycle of one endpoint for one parameter set: from the saved
 * `updatedSince` cursor, page by the configured style, emit each page through
 * the shared emitter, dead-letter records without an id, and move the cursor
 * only after the whole cycle is acknowledged.
 */
export async function restCycle(ctx: ConnectorContext, o: { config: RestConfig; endpoint: RestEndpoint; partition: Record<string, string>; label: string; authorizer: Authorizer; signal: AbortSignal }) {
  const { endpoint, config } = o;
  const cursorKey = `${endpoint.resourceType}#${o.label}`;
  const since = endpoint.updatedSince ? await ctx.store.cursor(ctx.source.id, cursorKey) : undefined;
  const base = `${config.baseUrl.replace(/\/$/, '')}${endpoint.path}`;
  const origin = new URL(base).origin;
  let query: Record<string, string> = { ...endpoint.query, ...o.partition, ...firstPage(endpoint.pagination), ...(since && endpoint.updatedSince ? { [endpoint.updatedSince.param]: since } : {}) };
  let absolute: string | undefined;
  let maxSeen = since;
  let fetched = 0;
  let emitted = 0;
  const params = { ...endpoint.query, ...o.partition };
  // Minted (or taken from the cache) once per cycle through the guard; a 401 later invalidates it once.
  const { provider } = await ctx.guard.call('authorize', () => o.authorizer.authorize(params));
  for (let page = 0; page < MAX_PAGES && !o.signal.aborted; page++) {
    const res = await ctx.guard.call(`GET ${endpoint.path}`, async () => {
      const a = await o.authorizer.authorize(params);
      const url = new URL(absolute ?? base);
      if (!absolute) for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      for (const [k, v] of Object.entries(a.query)) url.searchParams.set(k, v);
      return fhirRequest<unknown>('GET', url.toString(), undefined, { headers: { accept: 'application/json', ...a.headers }, timeoutMs: config.timeoutMs });
    }, { auth: provider });
    const items = endpoint.itemsPath ? extractAll(res.body, endpoint.itemsPath) : Array.isArray(res.body) ? res.body : [];
    const candidates: Candidate[] = [];
    const bad: { index: number; item: unknown }[] = [];
    items.forEach((item, index) => {
      const id = extractAll(item, endpoint.idField)[0];
      if (typeof id !== 'string' && typeof id !== 'number') { bad.push({ index, item }); return; }
      candidates.push({ resourceType: endpoint.resourceType, externalId: String(id), payload: item });
      if (endpoint.updatedSince) {
        const u = extractAll(item, endpoint.updatedSince.field)[0];
        if (typeof u === 'string' && (!maxSeen || u > maxSeen)) maxSeen = u;
      }
    });
    fetched += items.length;
    emitted += (await ctx.emitter.emit(candidates)).emitted;
    await ctx.deadLetters.write(bad.map((b) => ({
      key: `${ctx.source.id}/${endpoint.resourceType}/page${page}/${b.index}`, value: Buffer.from(JSON.stringify(b.item ?? null)),
      error: new PayloadError(`record without ${endpoint.idField}`), context: { 'dlq.source.url': redactUrl(absolute ?? base), 'dlq.source.page': String(page), 'dlq.source.entry': String(b.index) },
    })));
    const next = nextPage(endpoint.pagination, { query, count: items.length, body: res.body, linkHeader: res.headers.link });
    if (!next) break;
    if ('url' in next) {
      if (new URL(next.url).origin !== origin) throw new PayloadError(`next link leaves ${origin}`);
      absolute = next.url;
    } else query = next.query;
  }
  if (!o.signal.aborted && maxSeen && maxSeen !== since) await ctx.store.saveCursor(ctx.source.id, cursorKey, maxSeen);
  return { fetched, emitted, cycle: since ? 'incremental' : 'full' };
}
