import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Principal } from '@cr/auth';
import type { OutputMessage } from '@cr/kafka';
import { normaliseDate, toE164, type EntityState } from '@cr/world-model';
import type { ApiDeps } from '../deps.ts';
import { HttpError, queryObject, validate } from '../http.ts';
import { messageFor, worldEventFor } from '../writes.ts';
import { patientAttributes, patientOf, SOURCE_IDENTIFIER_PREFIX } from './patient.ts';

/** Resource types the facade serves (each needs a mapping both ways). */
export const FACADE_TYPES = ['Patient'] as const;
export const FACADE_DATA_SOURCE = 'fhir-facade';

export interface PlannedWrite {
  message: OutputMessage;
  eventId: string;
  entityId: string | null;
}

const searchSchema = z.object({
  _id: z.string().min(1).optional(),
  name: z.string().min(1).max(200).optional(),
  family: z.string().min(1).max(200).optional(),
  given: z.string().min(1).max(200).optional(),
  birthdate: z.string().min(4).max(40).optional(),
  identifier: z.string().min(1).max(500).optional(),
  phone: z.string().min(3).max(40).optional(),
  telecom: z.string().min(3).max(200).optional(),
  _count: z.coerce.number().int().min(1).max(500).default(50),
  _offset: z.coerce.number().int().min(0).max(100_000).default(0),
}).strict();

function supported(type: string): void {
  if (!(FACADE_TYPES as readonly string[]).includes(type)) throw new HttpError(404, 'not_found', `resource type ${type} is not served by this facade`);
}

/** `W/"3"` or `3` -> 3. */
function versionOf(ifMatch: string | undefined): number | undefined {
  if (!ifMatch) return undefined;
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(ifMatch.trim());
  if (!m) throw new HttpError(400, 'invalid', 'If-Match must be an ETag such as W/"3"');
  return Number(m[1]);
}

/**
 * The FHIR facade's operations over the world model: reads come from the
 * projected state (FHIR id = canonical entity id), writes become world events.
 * Writes are asynchronous: a create goes through entity resolution; an update
 * or delete is attached to the named entity.
 */
export function createFacade(deps: ApiDeps) {
  async function existing(type: string, id: string, ifMatch?: string): Promise<EntityState> {
    supported(type);
    const state = await deps.entities.get(type, id);
    if (!state) throw new HttpError(404, 'not_found', `${type}/${id} not found`);
    if (state.deleted) throw new HttpError(410, 'gone', `${type}/${id} was deleted`);
    const want = versionOf(ifMatch);
    if (want !== undefined && want !== state.version) throw new HttpError(412, 'precondition_failed', `${type}/${id} is at version ${state.version}, not ${want}`);
    return state;
  }

  function write(principal: Principal, requestId: string, over: { entityId?: string | undefined; attributes: Record<string, string>; identifiers: { system: string; value: string }[]; deleted?: boolean }): PlannedWrite {
    const now = deps.clock.now().getTime();
    const event = worldEventFor({
      subject: principal.subject, requestId, entityType: 'Patient', entityId: over.entityId, identifiers: over.identifiers,
      origin: 'operator', dataSourceId: FACADE_DATA_SOURCE, confidence: 1, attributes: over.attributes, category: null,
      observedAt: now, recordedAt: now, sourceMaterial: null, deleted: over.deleted ?? false,
    });
    return { message: messageFor(event, over.entityId), eventId: event.eventId, entityId: over.entityId ?? null };
  }

  return {
    async read(type: string, id: string): Promise<{ resource: Record<string, unknown>; version: number }> {
      const state = await existing(type, id);
      return { resource: patientOf(state), version: state.version };
    },

    async search(type: string, query: URLSearchParams, base: string): Promise<Record<string, unknown>> {
      supported(type);
      const q = validate(searchSchema, queryObject(query), 'search parameters');
      let sourceRef: { dataSourceId: string; resourceType?: string; externalId: string } | undefined;
      let identifier = q.identifier;
      // identifier=urn:connector-runner:source:<ds>|<Type>/<id>: the entity behind a source record.
      if (identifier?.startsWith(SOURCE_IDENTIFIER_PREFIX)) {
        const [system, value = ''] = identifier.split('|');
        const [resourceType, externalId] = value.includes('/') ? value.split('/', 2) : [undefined, value];
        sourceRef = { dataSourceId: system!.slice(SOURCE_IDENTIFIER_PREFIX.length), ...(resourceType ? { resourceType } : {}), externalId: externalId! };
        identifier = undefined;
      }
      const phone = q.phone ?? (q.telecom ? q.telecom.replace(/^phone\|/, '') : undefined);
      let states = await deps.entities.search({
        type, identifier, sourceRef, name: q.name ?? q.family ?? q.given, limit: q._count, offset: q._offset,
        birthDate: q.birthdate ? normaliseDate(q.birthdate) : undefined, phone: phone ? toE164(phone) : undefined,
      });
      if (q._id) states = states.filter((s) => s.entityId === q._id);
      return {
        resourceType: 'Bundle', type: 'searchset', total: states.length,
        entry: states.map((s) => ({ fullUrl: `${base}/${type}/${s.entityId}`, resource: patientOf(s), search: { mode: 'match' } })),
      };
    },

    async planCreate(type: string, body: unknown, principal: Principal, requestId: string = randomUUID(), what = 'resource'): Promise<PlannedWrite> {
      supported(type);
      const { attributes, identifiers } = patientAttributes(body, what);
      return write(principal, requestId, { attributes, identifiers });
    },

    async planUpdate(type: string, id: string, body: unknown, principal: Principal, ifMatch?: string, requestId: string = randomUUID(), what = 'resource'): Promise<PlannedWrite> {
      const { resource, attributes, identifiers } = patientAttributes(body, what);
      if (resource.id !== undefined && resource.id !== id) throw new HttpError(400, 'invalid', `${what}.id does not match the id in the URL`);
      await existing(type, id, ifMatch);
      return write(principal, requestId, { entityId: id, attributes, identifiers });
    },

    async planDelete(type: string, id: string, principal: Principal, ifMatch?: string, requestId: string = randomUUID()): Promise<PlannedWrite> {
      await existing(type, id, ifMatch);
      return write(principal, requestId, { entityId: id, attributes: {}, identifiers: [], deleted: true });
    },
  };
}

export type Facade = ReturnType<typeof createFacade>;
