import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ApiDeps } from '../deps.ts';
import { readBody } from '../http.ts';
import { importBundle } from '../fhir/bundle.ts';
import { createFacade, FACADE_TYPES } from '../fhir/facade.ts';
import { informational } from '../fhir/outcome.ts';
import { READERS, type Route } from '../router.ts';

const WRITERS = ['operator', 'admin'] as const;

function baseUrl(req: IncomingMessage): string {
  return `http://${req.headers.host ?? 'localhost'}/fhir/R4`;
}

/** Caller's idempotency key if it sent one (X-Request-Id), else a fresh one. */
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,200}$/.test(given) ? given : randomUUID();
}

/**
 * The FHIR R4 facade over the world model: Patient search by name, birth date or
 * identifier; read by canonical entity id; create, update and delete as world
 * events (202: applied asynchronously); batch and transaction bundles. Errors
 * are OperationOutcomes.
 */
export function fhirRoutes(deps: ApiDeps): Route[] {
  const facade = createFacade(deps);
  const accepted = (eventId: string, entityId: string | null) => ({
    status: 202,
    body: informational(`accepted as event ${eventId}${entityId ? ` on ${entityId}` : '; entity resolution assigns the id'}`),
    headers: { 'x-event-id': eventId, ...(entityId ? { 'content-location': `Patient/${entityId}` } : {}) },
    audit: { eventId, ...(entityId ? { entityId } : {}) },
  });
  return [
    {
      method: 'GET', path: '/fhir/R4/metadata', roles: READERS, fhir: true,
      async handle() {
        return {
          status: 200,
          body: {
            resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', fhirVersion: '4.0.1', format: ['json'], date: new Date(0).toISOString(),
            rest: [{
              mode: 'server',
              interaction: [{ code: 'batch' }, { code: 'transaction' }],
              resource: FACADE_TYPES.map((type) => ({
                type,
                interaction: ['read', 'search-type', 'create', 'update', 'delete'].map((code) => ({ code })),
                searchParam: ['_id', 'name', 'family', 'given', 'birthdate', 'identifier', 'phone', 'telecom'].map((name) => ({ name, type: name === 'birthdate' ? 'date' : name === '_id' ? 'token' : 'string' })),
              })),
            }],
          },
        };
      },
    },
    {
      method: 'POST', path: '/fhir/R4', roles: WRITERS, fhir: true, audit: 'fhir.bundle',
      async handle({ req, principal }) {
        return { status: 200, body: await importBundle(deps, facade, await readBody(req), principal, baseUrl(req), requestId(req)) };
      },
    },
    {
      method: 'GET', path: '/fhir/R4/:type', roles: READERS, fhir: true,
      async handle({ params, query, req }) {
        return { status: 200, body: await facade.search(params.type!, query, baseUrl(req)) };
      },
    },
    {
      method: 'POST', path: '/fhir/R4/:type', roles: WRITERS, fhir: true, audit: 'fhir.create',
      async handle({ params, req, principal }) {
        const w = await facade.planCreate(params.type!, await readBody(req), principal, requestId(req));
        await deps.producer.sendMany([w.message]);
        return accepted(w.eventId, null);
      },
    },
    {
      method: 'GET', path: '/fhir/R4/:type/:id', roles: READERS, fhir: true,
      async handle({ params }) {
        const { resource, version } = await facade.read(params.type!, params.id!);
        return { status: 200, body: resource, headers: { etag: `W/"${version}"` } };
      },
    },
    {
      method: 'PUT', path: '/fhir/R4/:type/:id', roles: WRITERS, fhir: true, audit: 'fhir.update',
      async handle({ params, req, principal }) {
        const w = await facade.planUpdate(params.type!, params.id!, await readBody(req), principal, req.headers['if-match'], requestId(req));
        await deps.producer.sendMany([w.message]);
        return accepted(w.eventId, w.entityId);
      },
    },
    {
      method: 'DELETE', path: '/fhir/R4/:type/:id', roles: WRITERS, fhir: true, audit: 'fhir.delete',
      async handle({ params, req, principal }) {
        const w = await facade.planDelete(params.type!, params.id!, principal, req.headers['if-match'], requestId(req));
        await deps.producer.sendMany([w.message]);
        return accepted(w.eventId, w.entityId);
      },
    },
  ];
}
