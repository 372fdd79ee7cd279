import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthFailure, requireRole, type Principal, type Role, type TokenVerifier } from '@cr/auth';
import { describeError, isRetriable, type Logger } from '@cr/core';
import { errorBody, HttpError, sendJson } from './http.ts';
import { FHIR_JSON, outcomeOf } from './fhir/outcome.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Reply {
  status: number;
  /** JSON, or bytes sent as they are (with `headers` naming their content type). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Ids to add to the audit record (e.g. the decision id); never values. */
  audit?: Record<string, string>;
}

export interface RequestContext {
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  principal: Principal;
}

/**
 * One route: method, path template (`/v1/entities/:type/:id`), the roles that
 * may call it, and whether it speaks FHIR (errors as OperationOutcome).
 */
export interface Route {
  method: Method;
  path: string;
  roles: readonly Role[];
  fhir?: boolean;
  /** Mutating routes are audited. */
  audit?: string;
  /** Served without a token (only the dashboard's static files, which hold no data); `roles` is then empty. */
  public?: boolean;
  handle(ctx: RequestContext): Promise<Reply>;
}

export const READERS: readonly Role[] = ['readonly', 'agent', 'operator', 'admin'];

/** The principal a public route sees: nobody, no roles. */
const ANONYMOUS: Principal = { subject: 'anonymous', roles: [] };

interface Compiled { route: Route; regex: RegExp; names: string[] }

function compile(route: Route): Compiled {
  const names: string[] = [];
  const pattern = route.path.split('/').map((seg) => {
    if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    names.push(seg.slice(1));
    return '([^/]+)';
  }).join('/');
  return { route, regex: new RegExp(`^${pattern}$`), names };
}

export interface Audit {
  record(entry: { principal: Principal | undefined; route: Route; params: Record<string, string>; status: number; detail?: Record<string, string> | undefined }): Promise<void>;
}

export interface RouterOptions {
  routes: readonly Route[];
  verifier: TokenVerifier;
  logger: Logger;
  audit: Audit;
}

/**
 * The api's request handler: match the route (404/405), check the token (401)
 * and the route's roles (403), run it, and turn every failure into the JSON
 * error shape, or an OperationOutcome on FHIR routes. Bad input is a 4xx;
 * only our own faults are 500s, logged without payloads.
 */
export function createRouter(options: RouterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const compiled = options.routes.map(compile);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://api.local');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const fhirPath = path === '/fhir/R4' || path.startsWith('/fhir/R4/');
    let principal: Principal | undefined;
    let found: Compiled | undefined;
    let params: Record<string, string> = {};
    let detail: Record<string, string> | undefined;
    void (async (): Promise<Reply> => {
      const matching = compiled.filter((c) => c.regex.test(path));
      found = matching.find((c) => c.route.method === req.method);
      if (!found) throw matching.length ? new HttpError(405, 'method_not_allowed', `${req.method} not allowed here`) : new HttpError(404, 'not_found', 'no such route');
      const m = found.regex.exec(path)!;
      try {
        params = Object.fromEntries(found.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      } catch {
        throw new HttpError(400, 'bad_path', 'malformed path');
      }
      if (found.route.public) return found.route.handle({ req, params, query: url.searchParams, principal: ANONYMOUS });
      principal = await options.verifier.verify(req.headers.authorization);
      requireRole(principal, found.route.roles);
      return found.route.handle({ req, params, query: url.searchParams, principal });
    })().then((reply) => {
      const fhir = found?.route.fhir ?? fhirPath;
      detail = reply.audit;
      if (reply.body instanceof Uint8Array) res.writeHead(reply.status, reply.headers).end(reply.body);
      else sendJson(res, reply.status, reply.body, reply.headers, fhir ? FHIR_JSON : 'application/json');
      return reply.status;
    }, (error: unknown) => {
      const fhir = found?.route.fhir ?? fhirPath;
      let http: HttpError;
      if (error instanceof HttpError) http = error;
      else if (error instanceof AuthFailure) http = new HttpError(error.status, error.code, error.message);
      else if (isRetriable(error)) {
        logger().warn({ ...describeError(error), method: req.method, route: found?.route.path }, 'api.request.unavailable');
        http = new HttpError(503, 'unavailable', 'a backing service is unavailable; try again');
      } else {
        logger().error({ ...describeError(error), method: req.method, route: found?.route.path }, 'api.request.failed');
        http = new HttpError(500, 'internal', 'internal error');
      }
      const headers: Record<string, string> = http.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
      sendJson(res, http.status, fhir ? outcomeOf(http) : errorBody(http), headers, fhir ? FHIR_JSON : 'application/json');
      return http.status;
    }).then((status) => {
      if (found?.route.audit && principal) return options.audit.record({ principal, route: found.route, params, status, detail });
      return undefined;
    }).catch((error: unknown) => logger().warn({ ...describeError(error) }, 'api.audit.failed'));
  };

  function logger(): Logger { return options.logger; }
}

/** The table of routes that need a token, as data (method, path, roles): for the docs and the role test. Public routes are left out. */
export function routeTable(routes: readonly Route[]): { method: Method; path: string; roles: readonly Role[] }[] {
  return routes.filter((r) => !r.public).map(({ method, path, roles }) => ({ method, path, roles }));
}
