import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import avro from 'avsc';
import { SchemaError, TransportError, withRetry, type Logger } from '@cr/core';
import { catalogue, topicNamer, type AvroSchemaJson, type SchemaSource, type TopicNamer, type TopicSpec } from './catalogue.ts';

/**
 * Avro codec over a Confluent-compatible schema registry (Apicurio's ccompat API
 * locally). Values travel in the Confluent wire format: magic byte 0, a 4-byte
 * big-endian schema id, then the Avro binary. Schema ids and parsed schemas are
 * cached: after the first use, encode and decode make no registry call.
 */

export type Compatibility =
  | 'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';

export interface RegistryCodecOptions {
  /** Base URL of the Confluent-compatible API, e.g. http://127.0.0.1:8081/apis/ccompat/v7 */
  url: string;
  logger: Logger;
  /** Prefix of every topic (and so of every subject) of this run. */
  topicPrefix?: string;
  /** Where `<Name>.avsc` files live; defaults to SCHEMA_DIR or the repo's `schemas/`. */
  schemaDir?: string;
  /** Per HTTP request; default 10 s. */
  requestTimeoutMs?: number;
  /** Attempts for registry calls failing with transport errors; default 3. */
  maxAttempts?: number;
  clientId?: string;
  /**
   * Topics `encode` may register on first use (schema from `schemaDir`), so a
   * service need not call registerSchemas itself. Default: the catalogue.
   */
  topics?: readonly TopicSpec[];
  /** Default true: encode registers a known topic's schema on first use. */
  autoRegister?: boolean;
  /** Compatibility set when registering on first use. Default BACKWARD. */
  compatibility?: Compatibility;
}

export interface RegisterOptions {
  /** Set explicitly on every subject registered. Default BACKWARD. */
  compatibility?: Compatibility;
}

export interface RegisteredTopic {
  topic: string;
  subject: string;
  id: number;
}

export interface RegistryCodec {
  /**
   * Registers each topic's value schema under `<topic>-value` (prefixed topic)
   * with an explicit per-subject compatibility, and caches the ids. Idempotent:
   * the same schema gets the same id again. Topics without a value schema are skipped.
   */
  registerSchemas(specs: readonly TopicSpec[], options?: RegisterOptions): Promise<RegisteredTopic[]>;
  /** Cached id of the topic's value schema, if registered by this codec. */
  schemaId(topic: string): number | undefined;
  /** Subject name of a topic's value schema. */
  subject(topic: string): string;
  /** Encodes with the topic's registered schema. Misfit value -> SchemaError. */
  encode(topic: string, value: unknown): Promise<Buffer>;
  /** Decodes a wire-format buffer. Not Avro / unknown id -> SchemaError; registry down -> TransportError. */
  decode(buffer: Buffer): Promise<unknown>;
  /** Subject's compatibility level as the registry reports it. */
  getCompatibility(topic: string): Promise<string | undefined>;
  /** Deletes the topics' value subjects (soft, then permanent). For test clean-up. */
  deleteSubjects(topics: readonly string[]): Promise<void>;
  /** HTTP requests made to the registry so far (for tests and diagnostics). */
  requestCount(): number;
}

const DEFAULT_SCHEMA_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

/** Loads `<dir>/<name>.avsc` or returns an inline definition as is. */
export async function loadSchema(source: SchemaSource, schemaDir?: string): Promise<AvroSchemaJson> {
  if (typeof source !== 'string') return source;
  const dir = schemaDir ?? process.env.SCHEMA_DIR ?? DEFAULT_SCHEMA_DIR;
  const file = join(dir, `${source}.avsc`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new SchemaError(`schema file ${source}.avsc not found in ${dir}`, { cause });
  }
  try {
    return JSON.parse(text) as AvroSchemaJson;
  } catch (cause) {
    throw new SchemaError(`schema file ${source}.avsc is not valid JSON`, { cause });
  }
}

/** Parses an Avro definition; an invalid one is a SchemaError. */
export function parseAvro(schema: AvroSchemaJson, what = 'schema'): avro.Type {
  try {
    return avro.Type.forSchema(schema as avro.Schema);
  } catch (cause) {
    throw new SchemaError(`invalid Avro ${what}: ${(cause as Error).message}`, { cause });
  }
}

/** The schema id in a Confluent wire-format buffer, or undefined if it is not one. */
export function wireSchemaId(buffer: Buffer): number | undefined {
  if (buffer.length < 5 || buffer[0] !== 0) return undefined;
  return buffer.readInt32BE(1);
}

const MAGIC = 0;
const HEADER_BYTES = 5;

/** Prepends the Confluent header (magic byte, big-endian schema id) to an Avro body. */
function frame(id: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.writeUInt8(MAGIC, 0);
  out.writeInt32BE(id, 1);
  body.copy(out, HEADER_BYTES);
  return out;
}

export function createRegistryCodec(options: RegistryCodecOptions): RegistryCodec {
  const baseUrl = options.url.replace(/\/+$/, '');
  const namer: TopicNamer = topicNamer(options.topicPrefix ?? '');
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const log = options.logger.child({ component: 'schema-registry' });
  let requests = 0;

  /** logical topic -> { id, type } */
  const byTopic = new Map<string, { id: number; type: avro.Type; name: string }>();
  /** schema id -> parsed writer type: after the first use of an id, no registry call. */
  const byId = new Map<number, avro.Type>();
  const fetching = new Map<number, Promise<avro.Type>>();
  const known = new Map((options.topics ?? catalogue()).map((t) => [t.name, t]));
  const registering = new Map<string, Promise<unknown>>();

  const subject = (topic: string): string => `${namer.physical(topic)}-value`;

  async function http<T>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
    return withRetry(async () => {
      requests++;
      let res: Response;
      try {
        res = await fetch(`${baseUrl}${path}`, {
          method,
          headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json', 'user-agent': options.clientId ?? 'cr-kafka', ...(body === undefined ? {} : { 'content-type': 'application/vnd.schemaregistry.v1+json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (cause) {
        const reason = (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).name;
        throw new TransportError(`registry ${method} ${path} unreachable (${reason})`, { cause });
      }
      const text = await res.text();
      let data: unknown = text;
      try { data = text ? JSON.parse(text) : undefined; } catch { /* keep text */ }
      if (res.status >= 500 || res.status === 408 || res.status === 429) {
        throw new TransportError(`registry ${method} ${path} answered ${res.status}: ${registryMessage(data)}`);
      }
      return { status: res.status, data: data as T };
    }, { maxAttempts, initialDelayMs: 200, maxDelayMs: 2_000 });
  }

  async function putCompatibility(subj: string, compatibility: Compatibility): Promise<boolean> {
    const res = await http<unknown>('PUT', `/config/${encodeURIComponent(subj)}`, { compatibility });
    if (res.status === 404) return false;
    if (res.status >= 300) throw new SchemaError(`registry refused compatibility ${compatibility} for ${subj}: ${registryMessage(res.data)}`);
    return true;
  }

  async function registerOne(spec: TopicSpec, compatibility: Compatibility): Promise<RegisteredTopic> {
    if (spec.valueSchema === null) throw new Error('unreachable');
    const json = await loadSchema(spec.valueSchema, options.schemaDir);
    const type = parseAvro(json, `value schema of ${spec.name}`);
    const subj = subject(spec.name);
    // Set the level before registering, so the new version is checked against it.
    // A subject that does not exist yet may refuse config (404): set it right after.
    const configured = await putCompatibility(subj, compatibility);
    const res = await http<{ id?: number }>('POST', `/subjects/${encodeURIComponent(subj)}/versions`, { schema: JSON.stringify(json) });
    if (res.status >= 300 || typeof res.data?.id !== 'number') {
      throw new SchemaError(`registry refused the schema for ${subj} (${res.status}): ${registryMessage(res.data)}`);
    }
    if (!configured && !(await putCompatibility(subj, compatibility))) {
      throw new SchemaError(`registry did not accept compatibility ${compatibility} for ${subj}`);
    }
    const id = res.data.id;
    byTopic.set(spec.name, { id, type, name: type.name ?? spec.name });
    byId.set(id, type);
    log.info({ topic: spec.name, subject: subj, schemaId: id, compatibility }, 'schema.registered');
    return { topic: spec.name, subject: subj, id };
  }

  /** The writer type of a schema id: cached, else fetched once (concurrent callers share the request). */
  async function typeOf(id: number): Promise<avro.Type> {
    let job = fetching.get(id);
    if (!job) {
      job = (async () => {
        const res = await http<{ schema?: string; schemaType?: string }>('GET', `/schemas/ids/${id}`);
        if (res.status >= 300 || typeof res.data?.schema !== 'string') {
          throw new SchemaError(`unknown schema id ${id}: registry answered ${res.status}: ${registryMessage(res.data)}`);
        }
        if (res.data.schemaType && res.data.schemaType !== 'AVRO') throw new SchemaError(`schema id ${id} is ${res.data.schemaType}, not Avro`);
        let json: AvroSchemaJson;
        try { json = JSON.parse(res.data.schema) as AvroSchemaJson; } catch (cause) { throw new SchemaError(`schema id ${id} is not JSON`, { cause }); }
        const type = parseAvro(json, `schema id ${id}`);
        byId.set(id, type);
        return type;
      })().finally(() => fetching.delete(id));
      fetching.set(id, job);
    }
    return job;
  }

  return {
    async registerSchemas(specs, registerOptions = {}) {
      const compatibility = registerOptions.compatibility ?? 'BACKWARD';
      const out: RegisteredTopic[] = [];
      for (const spec of specs) {
        if (spec.valueSchema === null) continue;
        out.push(await registerOne(spec, compatibility));
      }
      return out;
    },

    schemaId: (topic) => byTopic.get(topic)?.id,
    subject,

    async encode(topic, value) {
      let entry = byTopic.get(topic);
      const spec = known.get(topic);
      if (!entry && spec?.valueSchema && options.autoRegister !== false) {
        // First use of a catalogued topic: register its schema once (same schema, same id).
        let job = registering.get(topic);
        if (!job) {
          job = registerOne(spec, options.compatibility ?? 'BACKWARD').finally(() => registering.delete(topic));
          registering.set(topic, job);
        }
        await job;
        entry = byTopic.get(topic);
      }
      if (!entry) throw new SchemaError(`no value schema registered for topic ${topic}; call registerSchemas first`);
      let body: Buffer;
      try {
        // The writer checks every value it writes, so a valid value is walked once, not twice.
        body = entry.type.toBuffer(value);
      } catch {
        const paths: string[] = [];
        entry.type.isValid(value, { errorHook: (path) => { paths.push(path.join('.') || '(root)'); } });
        // Field paths only: the value itself must never reach an error message (avsc's own message quotes it).
        throw new SchemaError(`value does not match schema ${entry.name} of topic ${topic}; invalid at: ${[...new Set(paths)].slice(0, 10).join(', ') || '(unknown)'}`);
      }
      return frame(entry.id, body);
    },

    async decode(buffer) {
      const id = wireSchemaId(buffer);
      if (id === undefined) throw new SchemaError(`not a Confluent wire-format Avro message (${buffer.length} bytes, first byte ${buffer[0] ?? 'none'})`);
      const type = byId.get(id) ?? await typeOf(id);
      try {
        return type.fromBuffer(buffer.subarray(HEADER_BYTES)) as unknown;
      } catch (cause) {
        // avsc says what is wrong with the bytes (truncated, trailing data, bad union index), never what they hold.
        throw new SchemaError(`decode with schema id ${id}: ${(cause as Error).message}`, { cause });
      }
    },

    async getCompatibility(topic) {
      const res = await http<{ compatibilityLevel?: string; compatibility?: string }>('GET', `/config/${encodeURIComponent(subject(topic))}`);
      if (res.status === 404) return undefined;
      return res.data?.compatibilityLevel ?? res.data?.compatibility;
    },

    async deleteSubjects(topics) {
      for (const topic of topics) {
        const path = `/subjects/${encodeURIComponent(subject(topic))}`;
        await http('DELETE', path);
        await http('DELETE', `${path}?permanent=true`);
        byTopic.delete(topic);
      }
    },

    requestCount: () => requests,
  };
}

function registryMessage(data: unknown): string {
  if (data && typeof data === 'object' && 'message' in data) return String((data as { message: unknown }).message).slice(0, 500);
  return String(data ?? '').slice(0, 500);
}
