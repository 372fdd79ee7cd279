import { PayloadError } from '@cr/core';
import { extractAll, type Pagination } from '@cr/world-model';

/** Where the next page is, given this page; undefined when done. */
export type NextPage = { query: Record<string, string> } | { url: string } | undefined;

/** Query parameters of the first page. */
export function firstPage(p: Pagination): Record<string, string> {
  switch (p.style) {
    case 'page': return { [p.pageParam]: String(p.firstPage), [p.sizeParam]: String(p.size) };
    case 'offset': return { [p.offsetParam]: '0', [p.limitParam]: String(p.limit) };
    case 'cursor': return p.sizeParam ? { [p.sizeParam]: String(p.size) } : {};
    default: return {};
  }
}

/** The `rel="next"` target of a Link header. */
export function linkNext(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(',') : header ?? '';
  for (const part of value.split(/,(?=\s*<)/)) {
    const m = /<([^>]+)>\s*;(.*)$/.exec(part.trim());
    if (m && /rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(m[2]!)) return m[1];
  }
  return undefined;
}

/**
 * Page number, offset/limit, cursor token and Link header. Page and offset stop
 * at a short page; cursor stops when the token is missing or repeats; link when
 * there is no `next`.
 */
export function nextPage(p: Pagination, o: { query: Record<string, string>; count: number; body: unknown; linkHeader: string | string[] | undefined }): NextPage {
  switch (p.style) {
    case 'none': return undefined;
    case 'page': return o.count < p.size ? undefined : { query: { ...o.query, [p.pageParam]: String(Number(o.query[p.pageParam] ?? p.firstPage) + 1) } };
    case 'offset': return o.count < p.limit ? undefined : { query: { ...o.query, [p.offsetParam]: String(Number(o.query[p.offsetParam] ?? 0) + o.count) } };
    case 'cursor': {
      const c = extractAll(o.body, p.cursorPath)[0];
      if (c === undefined || c === null || c === '') return undefined;
      if (typeof c !== 'string' && typeof c !== 'number') throw new PayloadError(`cursor at ${p.cursorPath} is not a string`);
      if (String(c) === o.query[p.cursorParam]) return undefined;
      return { query: { ...o.query, [p.cursorParam]: String(c) } };
    }
    case 'link': {
      const next = linkNext(o.linkHeader);
      return next ? { url: next } : undefined;
    }
  }
}
