import { afterAll, describe, expect, it } from 'vitest';
import { SchemaError, TransportError } from '@cr/core';
import { createRegistryCodec, type RegistryCodec } from './registry.ts';
import { freshPrefix, LOCAL_REGISTRY_URL, testLogger } from './testing.ts';
import { catalogue, TOPICS, type TopicSpec } from './catalogue.ts';

const person = {
  type: 'record', name: 'Person', namespace: 'test.kafka',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'age', type: 'int' },
    { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
    { name: 'nick', type: ['null', 'string'], default: null },
  ],
};
const spec = (name: string, valueSchema: Record<string, unknown>): TopicSpec => ({ name, valueSchema, partitions: 1, compacted: false });
const codec = (prefix: string, url = LOCAL_REGISTRY_URL): RegistryCodec =>
  createRegistryCodec({ url, logger: testLogger(), topicPrefix: prefix, topics: [] });

describe('registry codec (real registry)', () => {
  const prefix = freshPrefix();
  const used: Array<[RegistryCodec, string]> = [];
  afterAll(async () => {
    for (const [c, t] of used) await c.deleteSubjects([t]).catch(() => undefined);
  });

  it('round-trips values and caches schema ids (no registry call per message)', async () => {
    const c = codec(prefix);
    used.push([c, 'people']);
    const [reg] = await c.registerSchemas([spec('people', person)], { compatibility: 'BACKWARD' });
    expect(reg).toMatchObject({ topic: 'people', subject: `${prefix}people-value` });
    expect(await c.getCompatibility('people')).toBe('BACKWARD');

    const value = { id: 'p-1', age: 42, tags: ['a', 'b'], nick: 'Al' };
    const before = c.requestCount();
    const buffers: Buffer[] = [];
    for (let i = 0; i < 100; i++) buffers.push(await c.encode('people', { ...value, age: i }));
    const decoded = await Promise.all(buffers.map((b) => c.decode(b)));
    expect(c.requestCount()).toBe(before);
    expect(decoded[7]).toMatchObject({ ...value, age: 7 });
    expect(buffers[0]?.[0]).toBe(0);
    expect(buffers[0]?.readInt32BE(1)).toBe(reg?.id);

    // A reader that never registered fetches the schema once, then decodes from cache.
    const reader = codec(prefix);
    for (const b of buffers) await reader.decode(b);
    expect(reader.requestCount()).toBe(1);

    // Canonical hashing: registering the same schema again yields the same id.
    const [again] = await codec(prefix).registerSchemas([spec('people', person)]);
    expect(again?.id).toBe(reg?.id);
  });

  it('refuses an incompatible change under BACKWARD and accepts a compatible one', async () => {
    const c = codec(prefix);
    used.push([c, 'evolving']);
    const [v1] = await c.registerSchemas([spec('evolving', person)], { compatibility: 'BACKWARD' });
    const withRequired = { ...person, fields: [...person.fields, { name: 'mrn', type: 'string' }] };
    const err = await c.registerSchemas([spec('evolving', withRequired)], { compatibility: 'BACKWARD' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaError);
    expect((err as SchemaError).retriable).toBe(false);
    expect((err as Error).message).toMatch(/evolving-value/);
    const withDefault = { ...person, fields: [...person.fields, { name: 'mrn', type: 'string', default: '' }] };
    const [v2] = await c.registerSchemas([spec('evolving', withDefault)], { compatibility: 'BACKWARD' });
    expect(v2?.id).not.toBe(v1?.id);
    // Old data decodes; new data encodes with the new field.
    const buf = await c.encode('evolving', { id: 'x', age: 1, tags: [], nick: null, mrn: 'm-1' });
    expect(await c.decode(buf)).toMatchObject({ mrn: 'm-1' });
  });

  it('a misfit value, a non-Avro buffer and an unknown schema id are SchemaErrors', async () => {
    const c = codec(prefix);
    used.push([c, 'strict']);
    await c.registerSchemas([spec('strict', person)]);
    const misfit = await c.encode('strict', { id: 'p', age: 'SECRET-PAYLOAD' }).catch((e: unknown) => e);
    expect(misfit).toBeInstanceOf(SchemaError);
    expect((misfit as Error).message).toMatch(/age/);
    expect((misfit as Error).message).not.toMatch(/SECRET-PAYLOAD/);
    await expect(c.decode(Buffer.from('{"not":"avro"}'))).rejects.toBeInstanceOf(SchemaError);
    const unknownId = Buffer.from([0, 0x7f, 0xff, 0xff, 0x00, 2, 3]);
    await expect(c.decode(unknownId)).rejects.toBeInstanceOf(SchemaError);
    const good = await c.encode('strict', { id: 'p', age: 3, tags: [], nick: null });
    await expect(c.decode(good.subarray(0, 6))).rejects.toBeInstanceOf(SchemaError);
    await expect(c.encode('never-registered', { id: 'p' })).rejects.toBeInstanceOf(SchemaError);
  });

  it('registers every catalogued schema file, and a catalogued topic on its first encode', async () => {
    const p = freshPrefix();
    const all = createRegistryCodec({ url: LOCAL_REGISTRY_URL, logger: testLogger(), topicPrefix: p });
    const registered = await all.registerSchemas(catalogue());
    expect(registered).toHaveLength(catalogue().filter((t) => t.valueSchema !== null).length);
    const lazy = createRegistryCodec({ url: LOCAL_REGISTRY_URL, logger: testLogger(), topicPrefix: p });
    const beat = { instanceId: 'i-1', service: 'ingest', loop: 'poll', state: 'running', at: 1_700_000_000_000 };
    const buf = await lazy.encode(TOPICS.heartbeats, beat);
    expect(buf.readInt32BE(1)).toBe(registered.find((r) => r.topic === TOPICS.heartbeats)?.id);
    expect(await lazy.decode(buf)).toMatchObject(beat);
    await all.deleteSubjects(registered.map((r) => r.topic));
  });

  it('an unreachable registry is a retriable TransportError', async () => {
    const c = createRegistryCodec({ url: 'http://127.0.0.1:1/apis/ccompat/v7', logger: testLogger(), topicPrefix: freshPrefix(), topics: [], maxAttempts: 2, requestTimeoutMs: 2_000 });
    const err = await c.registerSchemas([spec('down', person)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).retriable).toBe(true);
    const decodeErr = await c.decode(Buffer.from([0, 0, 0, 0, 5, 2])).catch((e: unknown) => e);
    expect(decodeErr).toBeInstanceOf(TransportError);
  });
});
