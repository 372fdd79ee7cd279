import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  allOk,
  badRequest,
  getStatus,
  globalSchema,
  isResourceType,
  normalizeOperationOutcome,
  notFound,
  OperationOutcomeError,
  parseSearchRequest,
  tooManyRequests,
} from '@medplum/core';
import { FhirRouter } from '@medplum/fhir-router';
import type { FhirRepository, FhirRequest, FhirResponse, FhirRouteHandler } from '@medplum/fhir-router';
import type { Bundle, BundleLink, CapabilityStatement, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from './definitions.ts';
import { FaultConfigError, FaultControl } from './faults.ts';
import { TestRepository } from './repository.ts';
import type { DroppedWrite } from './repository.ts';

export interface FhirServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Path the FHIR API is mounted at (default "/fhir/R4", or the path of `baseUrl`). */
  basePath?: string;
  /**
   * Absolute base URL written into Location headers, `fullUrl`s and paging links. By default it
   * is built from each request's Host header plus `basePath`, i.e. it points back at this server
   * the way the client reached it.
   */
  baseUrl?: string;
  /** Page size of searches and `_history` without `_count` (default 20). */
  defaultPageSize?: number;
  /** Upper bound for `_count` (default 1000). */
  maxPageSize?: number;
  /** Validate created/updated resources against base FHIR R4 (default true). */
  validate?: boolean;
  /** Receives one line per FHIR request (e.g. `console.error`). */
  log?: (line: string) => void;
}

export interface RequestStats {
  total: number;
  byMethod: Record<string, number>;
  byStatus: Record<string, number>;
  byResourceType: Record<string, number>;
}

export interface ServerStats {
  /** FHIR requests only (admin calls are not counted). Status "dropped" = socket destroyed. */
  requests: RequestStats;
  faultsFired: ReturnType<FaultControl['firedCounts']>;
  /** Writes answered as successes but not stored (dropWritesRatio), oldest first, at most 1000. */
  droppedWrites: DroppedWrite[];
}

export interface FhirServer {
  /** FHIR base, e.g. http://127.0.0.1:PORT/fhir/R4 */
  url: string;
  /** Admin base, e.g. http://127.0.0.1:PORT/$admin */
  adminUrl: string;
  port: number;
  faults: FaultControl;
  repository: TestRepository;
  stats(): ServerStats;
  resetStats(): void;
  /** Number of current (not deleted) resources of that type. */
  count(resourceType: string): Promise<number>;
  /** Deletes all data and clears faults and stats. */
  reset(): void;
  close(): Promise<void>;
}

export const ADMIN_PATH = '/$admin';
const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const MAX_DROPPED_KEPT = 1000;
const MAX_BODY_BYTES = 50 * 1024 * 1024;
const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

interface Paging {
  offset: number;
  count: number;
  /** Parameters (without _count/_offset) to rebuild self/next/previous links. */
  params: [string, string][];
  /** Path (relative to base) the links point to. */
  linkPath: string;
}

export async function createFhirServer(options: FhirServerOptions = {}): Promise<FhirServer> {
  loadFhirDefinitions();
  const host = options.host ?? '127.0.0.1';
  const basePath = normalizeBasePath(options.basePath ?? (options.baseUrl ? new URL(options.baseUrl).pathname : '/fhir/R4'));
  const fixedBaseUrl = options.baseUrl?.replace(/\/+$/, '');
  const defaultPageSize = options.defaultPageSize ?? 20;
  const maxPageSize = options.maxPageSize ?? 1000;
  const log = options.log;

  const repo = new TestRepository({ validate: options.validate ?? true });
  const faults = new FaultControl();
  const router = createRouter();
  let stats = emptyStats();
  let droppedWrites: DroppedWrite[] = [];
  const shutdown = new AbortController();

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log?.(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, normalizeOperationOutcome(err), FHIR_JSON);
      } else {
        res.destroy();
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const path = url.pathname;
    if (path === ADMIN_PATH || path.startsWith(ADMIN_PATH + '/')) {
      await handleAdmin(req, res, path.slice(ADMIN_PATH.length));
      return;
    }
    if (path === basePath || path.startsWith(basePath + '/')) {
      await handleFhir(req, res, url);
      return;
    }
    await readBody(req);
    sendJson(res, 404, badRequestOutcome(`No FHIR endpoint here; the base is ${basePath}`, 'not-found'), FHIR_JSON);
  }

  async function handleFhir(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const relPath = url.pathname.slice(basePath.length).replace(/^\/+|\/+$/g, '');
    const segments = relPath.split('/').filter(Boolean).map(decodeURIComponent);
    const first = segments[0];
    const resourceType = first !== undefined && /^[A-Z]/.test(first) ? first : undefined;
    const isWrite =
      resourceType !== undefined &&
      ((method === 'POST' && segments.length === 1) || method === 'PUT' || method === 'PATCH');
    const started = Date.now();
    stats.total++;
    bump(stats.byMethod, method);
    if (resourceType) {
      bump(stats.byResourceType, resourceType);
    }
    const finish = (status: number | 'dropped'): void => {
      bump(stats.byStatus, String(status));
      log?.(`${method} ${url.pathname}${url.search} -> ${status} (${Date.now() - started} ms)`);
    };

    let rawBody: Buffer;
    try {
      rawBody = await readBody(req);
    } catch (err) {
      finish(413);
      sendJson(res, 413, normalizeOperationOutcome(err), FHIR_JSON);
      return;
    }

    const decision = faults.decide({ method, resourceType, isWrite });
    if (decision.latencyMs > 0) {
      try {
        await sleep(decision.latencyMs, undefined, { signal: shutdown.signal });
      } catch {
        res.destroy();
        return;
      }
    }
    if (decision.drop === 'before') {
      finish('dropped');
      req.socket.destroy();
      return;
    }
    if (decision.status) {
      const { code, retryAfter } = decision.status;
      finish(code);
      const outcome = code === 429 ? tooManyRequests : transientOutcome('Service Unavailable (injected fault)');
      sendJson(res, code, outcome, FHIR_JSON, retryAfter === undefined ? {} : { 'retry-after': retryAfter });
      return;
    }

    const baseUrl = fixedBaseUrl ?? `http://${req.headers.host ?? `${host}:${port()}`}${basePath}`;
    let status: number;
    let body: Resource | undefined;
    let headers: OutgoingHttpHeaders = {};
    try {
      if (!HTTP_METHODS.has(method)) {
        throw new OperationOutcomeError(badRequestOutcome(`Method ${method} not supported`, 'not-supported'));
      }
      if (resourceType !== undefined && !isResourceType(resourceType)) {
        throw new OperationOutcomeError({
          ...notFound,
          issue: [{ severity: 'error', code: 'not-found', details: { text: `Unknown resource type ${resourceType}` } }],
        });
      }
      const parsedBody = parseBody(rawBody, req.headers['content-type']);
      const query = queryRecord(url.searchParams);
      const paging = normalizePaging(method, segments, query, parsedBody);
      if (method === 'GET' && segments.length === 1 && resourceType) {
        checkSearchParameters(resourceType, query);
      }
      const existedBefore =
        method === 'PUT' && segments.length === 2 && resourceType ? repo.isLive(`${resourceType}/${segments[1]}`) : true;

      const fhirRequest: FhirRequest = {
        method: method as FhirRequest['method'],
        url: segments.map(encodeURIComponent).join('/'),
        pathname: '',
        params: {},
        query,
        body: parsedBody,
        headers: req.headers,
        config: { transactions: true },
      };
      let response: FhirResponse;
      if (decision.dropWrite) {
        const { result, dropped } = await repo.runDropping(() => router.handleRequest(fhirRequest, repo));
        response = result;
        for (const d of dropped) {
          faults.noteDroppedWrite();
          droppedWrites.push(d);
        }
        if (droppedWrites.length > MAX_DROPPED_KEPT) {
          droppedWrites = droppedWrites.slice(-MAX_DROPPED_KEPT);
        }
      } else {
        response = await router.handleRequest(fhirRequest, repo);
      }
      const [outcome, resource] = response;
      status = getStatus(outcome);
      body = resource ?? outcome;
      if (status === 200 && !existedBefore) {
        status = 201; // update-as-create
      }
      if (resource && isBundle(resource)) {
        decorateBundle(resource, baseUrl, paging);
      }
      headers = resourceHeaders(resource, status, baseUrl);
      if (resource && status < 300 && (method === 'POST' || method === 'PUT' || method === 'PATCH')) {
        body = applyPrefer(single(req.headers.prefer), resource, outcome);
      }
    } catch (err) {
      const outcome = normalizeOperationOutcome(err);
      status = getStatus(outcome);
      body = outcome;
    }
    if (decision.drop === 'after') {
      finish('dropped');
      req.socket.destroy();
      return;
    }
    finish(status);
    if (body === undefined) {
      res.writeHead(status, headers);
      res.end();
    } else {
      sendJson(res, status, body, FHIR_JSON, headers);
    }
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, sub: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    const route = `${method} ${sub.replace(/\/+$/, '') || '/'}`;
    const json = (status: number, value: unknown): void => sendJson(res, status, value, 'application/json; charset=utf-8');
    switch (route) {
      case 'GET /':
      case 'GET /health':
        json(200, { status: 'ok', url: publicUrl, adminUrl });
        return;
      case 'GET /faults':
        json(200, faults.get());
        return;
      case 'POST /faults':
      case 'PUT /faults': {
        let config: unknown;
        try {
          config = raw.length ? JSON.parse(raw.toString('utf8')) : {};
          faults.set(config as Parameters<FaultControl['set']>[0]);
        } catch (err) {
          json(400, { error: err instanceof FaultConfigError ? err.message : `invalid JSON: ${String(err)}` });
          return;
        }
        json(200, faults.get());
        return;
      }
      case 'DELETE /faults':
        faults.clear();
        json(200, faults.get());
        return;
      case 'GET /stats':
        json(200, getStats());
        return;
      case 'DELETE /stats':
        resetStats();
        json(200, getStats());
        return;
      case 'POST /reset':
        reset();
        json(200, { status: 'reset' });
        return;
    }
    const countMatch = /^GET \/count\/([A-Za-z]+)$/.exec(route);
    if (countMatch?.[1]) {
      const resourceType = countMatch[1];
      if (!isResourceType(resourceType)) {
        json(404, { error: `unknown resource type ${resourceType}` });
        return;
      }
      json(200, { resourceType, count: await repo.count(resourceType) });
      return;
    }
    json(404, {
      error: `unknown admin route ${route}`,
      routes: ['GET /health', 'GET|POST|DELETE /faults', 'GET|DELETE /stats', 'POST /reset', 'GET /count/{resourceType}'],
    });
  }

  function normalizePaging(
    method: string,
    segments: string[],
    query: Record<string, string | string[] | undefined>,
    body: unknown,
  ): Paging | undefined {
    const [a, b, c, d] = segments;
    const isSearch = (method === 'GET' && segments.length === 1 && a !== undefined && a !== '_history') ||
      (method === 'POST' && segments.length === 2 && b === '_search');
    const isHistory = method === 'GET' &&
      ((segments.length === 1 && a === '_history') || (segments.length === 2 && b === '_history') ||
        (segments.length === 3 && c === '_history' && d === undefined));
    if (!isSearch && !isHistory) {
      return undefined;
    }
    if (a !== undefined && a.startsWith('$')) {
      return undefined;
    }
    const params = method === 'POST' && isSearch && body && typeof body === 'object'
      ? (body as Record<string, string | string[] | undefined>)
      : query;
    const summaryCount = single(params._summary) === 'count';
    const count = summaryCount ? 0 : Math.min(intParam(params, '_count') ?? defaultPageSize, maxPageSize);
    const offset = intParam(params, '_offset') ?? 0;
    params._count = String(count);
    params._offset = String(offset);
    const pairs: [string, string][] = [];
    for (const [k, v] of Object.entries(params)) {
      if (k === '_count' || k === '_offset' || v === undefined) {
        continue;
      }
      for (const one of Array.isArray(v) ? v : [v]) {
        pairs.push([k, one]);
      }
    }
    return { offset, count, params: pairs, linkPath: isSearch && method === 'POST' ? (a ?? '') : segments.join('/') };
  }

  function getStats(): ServerStats {
    return { requests: structuredClone(stats), faultsFired: faults.firedCounts(), droppedWrites: [...droppedWrites] };
  }

  function resetStats(): void {
    stats = emptyStats();
    droppedWrites = [];
    faults.resetFired();
  }

  function reset(): void {
    repo.clear();
    faults.clear();
    resetStats();
  }

  function port(): number {
    return (server.address() as AddressInfo).port;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const origin = `http://${urlHost}:${port()}`;
  const publicUrl = fixedBaseUrl ?? `${origin}${basePath}`;
  const adminUrl = `${origin}${ADMIN_PATH}`;

  let closing: Promise<void> | undefined;
  return {
    url: publicUrl,
    adminUrl,
    port: port(),
    faults,
    repository: repo,
    stats: getStats,
    resetStats,
    count: (resourceType) => repo.count(resourceType),
    reset,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve, reject) => {
        shutdown.abort();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function createRouter(): FhirRouter {
  const router = new FhirRouter();
  const typeHistory: FhirRouteHandler = async (req, repo) => {
    const type = req.params.resourceType;
    return [allOk, asTestRepository(repo).typeHistory(type, historyQuery(req))];
  };
  const systemHistory: FhirRouteHandler = async (req, repo) => [
    allOk,
    asTestRepository(repo).typeHistory(undefined, historyQuery(req)),
  ];
  router.add('GET', ':resourceType/_history', typeHistory, 'history-type');
  router.add('GET', '_history', systemHistory, 'history-system');
  router.add('GET', 'metadata', async () => [allOk, capabilityStatement()]);
  return router;
}

function asTestRepository(repo: FhirRepository): TestRepository {
  if (!(repo instanceof TestRepository)) {
    throw new OperationOutcomeError(badRequest('history needs the TestRepository'));
  }
  return repo;
}

function historyQuery(req: FhirRequest): { since?: string; offset?: number; count?: number } {
  const since = single(req.query._since);
  let sinceIso: string | undefined;
  if (since !== undefined) {
    const ms = Date.parse(since);
    if (Number.isNaN(ms)) {
      throw new OperationOutcomeError(badRequest(`Invalid _since: ${since}`, '_since'));
    }
    sinceIso = new Date(ms).toISOString();
  }
  return {
    ...(sinceIso === undefined ? {} : { since: sinceIso }),
    ...(single(req.query._offset) === undefined ? {} : { offset: Number(single(req.query._offset)) }),
    ...(single(req.query._count) === undefined ? {} : { count: Number(single(req.query._count)) }),
  };
}

let capabilities: CapabilityStatement | undefined;
function capabilityStatement(): CapabilityStatement {
  capabilities ??= {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    software: { name: '@cr/fhir-test-server (Medplum fhir-router MemoryRepository)' },
    implementation: { description: 'In-memory FHIR R4 test server with fault injection' },
    rest: [
      {
        mode: 'server',
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }, { code: 'search-system' }],
        resource: Object.keys(globalSchema.types)
          .filter((t) => isResourceType(t))
          .sort()
          .map((type) => ({
            type: type as Resource['resourceType'],
            versioning: 'versioned' as const,
            readHistory: true,
            updateCreate: true,
            conditionalCreate: true,
            conditionalUpdate: true,
            conditionalDelete: 'single' as const,
            interaction: (['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'] as const)
              .map((code) => ({ code })),
            searchParam: Object.values(globalSchema.types[type]?.searchParams ?? {}).map((p) => ({
              name: p.code ?? '',
              type: p.type ?? 'string',
            })),
          })),
      },
    ],
  };
  return capabilities;
}

/** Adds absolute fullUrls and self/first/next/previous links (Medplum's MemoryRepository adds none). */
function decorateBundle(bundle: Bundle, baseUrl: string, paging: Paging | undefined): void {
  for (const entry of bundle.entry ?? []) {
    if (entry.fullUrl === undefined) {
      if (entry.resource?.id) {
        entry.fullUrl = `${baseUrl}/${entry.resource.resourceType}/${entry.resource.id}`;
      } else if (entry.request?.method === 'DELETE' && entry.request.url) {
        entry.fullUrl = `${baseUrl}/${entry.request.url}`;
      }
    }
  }
  if (!paging || (bundle.type !== 'searchset' && bundle.type !== 'history')) {
    return;
  }
  const { offset, count, params, linkPath } = paging;
  const link = (relation: string, off: number): BundleLink => {
    const qs = new URLSearchParams([...params, ['_count', String(count)], ['_offset', String(off)]]);
    return { relation, url: `${baseUrl}/${linkPath}?${qs.toString()}` };
  };
  const links: BundleLink[] = [link('self', offset), link('first', 0)];
  const matched = bundle.entry?.filter((e) => e.search?.mode !== 'include').length ?? 0;
  const hasNext = count > 0 && (bundle.total !== undefined ? offset + count < bundle.total : matched >= count);
  if (hasNext) {
    links.push(link('next', offset + count));
  }
  if (offset > 0 && count > 0) {
    links.push(link('previous', Math.max(0, offset - count)));
  }
  bundle.link = links;
}

function resourceHeaders(resource: Resource | undefined, status: number, baseUrl: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  if (!resource || resource.resourceType === 'Bundle' || resource.resourceType === 'OperationOutcome') {
    return headers;
  }
  const versionId = resource.meta?.versionId;
  if (versionId) {
    headers.etag = `W/"${versionId}"`;
  }
  if (resource.meta?.lastUpdated) {
    headers['last-modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  }
  if (status === 201 && resource.id) {
    headers.location = `${baseUrl}/${resource.resourceType}/${resource.id}${versionId ? `/_history/${versionId}` : ''}`;
  }
  return headers;
}

function applyPrefer(prefer: string | undefined, resource: Resource, outcome: OperationOutcome): Resource | undefined {
  const match = /return\s*=\s*"?([A-Za-z]+)/.exec(prefer ?? '');
  switch (match?.[1]) {
    case 'minimal':
      return undefined;
    case 'OperationOutcome':
      return outcome;
    default:
      return resource;
  }
}

/** Rejects search parameters the resource type does not define (MemoryRepository would match nothing). */
function checkSearchParameters(resourceType: string, query: Record<string, string | string[] | undefined>): void {
  const request = parseSearchRequest(resourceType as Resource['resourceType'], query);
  const known = globalSchema.types[resourceType]?.searchParams ?? {};
  for (const filter of request.filters ?? []) {
    if (filter.code.includes('.') || filter.code.startsWith('_has')) {
      continue;
    }
    if (!known[filter.code]) {
      throw new OperationOutcomeError(badRequest(`Unknown search parameter: ${filter.code}`, filter.code));
    }
  }
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) {
    return undefined;
  }
  const text = raw.toString('utf8');
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return queryRecord(new URLSearchParams(text));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new OperationOutcomeError(badRequest(`Invalid JSON body: ${err instanceof Error ? err.message : String(err)}`));
  }
}

function queryRecord(params: URLSearchParams): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = Object.create(null) as Record<string, string | string[] | undefined>;
  for (const [k, v] of params) {
    const existing = out[k];
    out[k] = existing === undefined ? v : Array.isArray(existing) ? [...existing, v] : [existing, v];
  }
  return out;
}

function intParam(params: Record<string, string | string[] | undefined>, name: string): number | undefined {
  const value = single(params[name]);
  if (value === undefined || value === '') {
    return undefined;
  }
  if (!/^\d+$/.test(value)) {
    throw new OperationOutcomeError(badRequest(`${name} must be a non-negative integer`, name));
  }
  return Number(value);
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.at(-1) : v;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new OperationOutcomeError({
          resourceType: 'OperationOutcome',
          id: 'content-too-large',
          issue: [{ severity: 'error', code: 'too-long', details: { text: 'Request body too large' } }],
        }));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType: string,
  headers: OutgoingHttpHeaders = {},
): void {
  if (res.destroyed || res.headersSent) {
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function isBundle(resource: Resource): resource is Bundle {
  return resource.resourceType === 'Bundle';
}

function transientOutcome(text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient', details: { text } }] };
}

function badRequestOutcome(text: string, code: 'not-found' | 'not-supported'): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

function emptyStats(): RequestStats {
  return { total: 0, byMethod: {}, byStatus: {}, byResourceType: {} };
}

function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

function normalizeBasePath(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') {
    return '';
  }
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}
