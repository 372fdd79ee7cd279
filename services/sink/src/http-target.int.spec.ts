/**
 * A crm sink against a small CRM-style API on loopback (contacts with
 * `properties`, lookup by our id, ETags): create once even when the answer to a
 * create is lost, PATCH only our values with If-Match.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '@cr/runtime';
import { entity, field, freshDb, sync, testContext } from './testing.ts';

interface Contact { id: string; properties: Record<string, unknown>; version: number }
const contacts = new Map<string, Contact>();
const seen: Array<{ method: string; url: string; ifMatch?: string; idempotencyKey?: string }> = [];
let loseNextCreateAnswer = false;
let crm: Server;
let baseUrl = '';
let db: Db;
let drop: () => Promise<void>;

function send(res: ServerResponse, status: number, body?: unknown, etag?: string): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(etag ? { etag } : {}) }).end(body === undefined ? undefined : JSON.stringify(body));
}

beforeAll(async () => {
  crm = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString(); });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ method: req.method!, url: url.pathname + url.search, ...(req.headers['if-match'] ? { ifMatch: String(req.headers['if-match']) } : {}), ...(req.headers['idempotency-key'] ? { idempotencyKey: String(req.headers['idempotency-key']) } : {}) });
      const [, collection, id] = url.pathname.split('/');
      if (collection !== 'contacts') return send(res, 404, { message: 'no such object' });
      if (req.method === 'GET' && !id) {
        const key = url.searchParams.get('connector_runner_id');
        return send(res, 200, { results: [...contacts.values()].filter((c) => c.properties.connector_runner_id === key) });
      }
      const c = id ? contacts.get(id) : undefined;
      if (req.method === 'GET') return c ? send(res, 200, c, `"${c.version}"`) : send(res, 404, { message: 'not found' });
      if (req.method === 'POST') {
        const body = JSON.parse(raw) as { properties: Record<string, unknown> };
        const created: Contact = { id: String(contacts.size + 100), properties: body.properties, version: 1 };
        contacts.set(created.id, created);
        if (loseNextCreateAnswer) { loseNextCreateAnswer = false; req.socket.destroy(); return; }
        return send(res, 201, created, '"1"');
      }
      if (req.method === 'PATCH' && c) {
        if (req.headers['if-match'] && req.headers['if-match'] !== `"${c.version}"`) return send(res, 412, { message: 'stale' });
        const body = JSON.parse(raw) as { properties: Record<string, unknown> };
        c.properties = { ...c.properties, ...body.properties };
        c.version++;
        return send(res, 200, c, `"${c.version}"`);
      }
      return send(res, 405, { message: 'method not allowed' });
    });
  });
  await new Promise<void>((r) => crm.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(crm.address() as AddressInfo).port}`;
  ({ db, drop } = await freshDb('sink_crm'));
});

afterAll(async () => {
  await new Promise((r) => crm?.close(r));
  await drop?.();
});

describe('crm sink', () => {
  it('writes a contact once, even when the answer to its create was lost, then patches only our values with If-Match', async () => {
    const ctx = await testContext(db, { id: 'crm', type: 'crm', target: { baseUrl }, retry: { initialDelayMs: 10, maxDelayMs: 50 } });
    const p = entity('ent-c1', 'Patient', { 'name.family': field('Hopper'), 'name.given': field(['Grace', 'B']), phone: field('+15550100') });
    loseNextCreateAnswer = true;
    await expect(sync(ctx, p)).rejects.toMatchObject({ retriable: true }); // the socket died after the CRM stored it
    const out = await sync(ctx, p, { attempt: 2 });
    expect(out.results.at(-1)).toMatchObject({ outcome: 'unchanged', targetType: '/contacts' }); // found by our id, already right
    expect(contacts.size).toBe(1);
    const [contact] = [...contacts.values()];
    expect(contact!.properties).toEqual({ connector_runner_id: 'ent-c1', firstname: 'Grace B', lastname: 'Hopper', phone: '+15550100' });

    contact!.properties.lifecycle = 'customer'; // the CRM's own data
    await sync(ctx, entity('ent-c1', 'Patient', { 'name.family': field('Hopper'), 'name.given': field(['Grace', 'B']), phone: field('+15550199') }, { version: 2 }));
    expect(contacts.size).toBe(1);
    expect(contact!.properties).toMatchObject({ phone: '+15550199', lifecycle: 'customer' });
    expect(seen.filter((s) => s.method === 'PATCH')).toEqual([{ method: 'PATCH', url: `/contacts/${contact!.id}`, ifMatch: '"1"' }]);
    expect(seen.filter((s) => s.method === 'POST').map((s) => s.idempotencyKey)).toEqual(['ent-c1']);
  });
});
