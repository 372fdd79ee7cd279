/**
 * Helpers for the sink's end-to-end specs: entity states published on
 * entity.state (the sink's only input), sink processes configured by
 * SINK_CONFIG_JSON, and what the sink produced (sink.results, dead letters, the
 * target FHIR server's resources, the sink's lag metric).
 */
import { TOPICS, type KafkaClient, type Producer } from '@cr/kafka';
import type { EntityState, FieldValue } from '@cr/world-model';
import { provision } from '../../../scripts/provision.ts';
import { newRun, type TestRun } from './env.ts';
import type { FhirPeer } from './fhir.ts';
import { ServiceProcess, sleep } from './processes.ts';

export const ENTITY_SYSTEM = 'urn:connector-runner:entity';

/** A fresh run (topics, schemas, Postgres schema) with topics and schemas provisioned. */
export async function startRun(label: string): Promise<TestRun> {
  const run = newRun(label);
  // A busy broker now and then answers a topic creation with a retriable error.
  for (let attempt = 1; ; attempt++) {
    try {
      await provision(run.env);
      return run;
    } catch (error) {
      if (attempt >= 4 || !(error as { retriable?: boolean }).retriable) throw error;
      await sleep(2_000 * attempt);
    }
  }
}

export function field(value: unknown, over: Partial<FieldValue> = {}): FieldValue {
  return { valueJson: JSON.stringify(value), eventId: `evt-${Math.random().toString(36).slice(2, 12)}`, dataSourceId: 'ehr-a', origin: 'ehr_sync', confidence: 1, observedAt: Date.now(), verified: true, ...over };
}

/** Voice data as extracted from a call: 0.5, unreviewed. */
export const voice = (value: unknown): FieldValue => field(value, { dataSourceId: 'voice-agent', origin: 'voice', confidence: 0.5, verified: false });

export function entity(entityId: string, entityType: string, fields: Record<string, FieldValue>, over: Partial<EntityState> = {}): EntityState {
  return { entityId, entityType, version: 1, fields, sourceRefs: [], identifiers: [], minConfidence: 1, eventCount: 1, updatedAt: Date.now(), deleted: false, ...over };
}

export function patient(entityId: string, i: number, over: Record<string, FieldValue> = {}, version = 1): EntityState {
  return entity(entityId, 'Patient', {
    'name.family': field(`Family${i}`), 'name.given': field(['Ada']), birthDate: field(`19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`), phone: field(`+1555${String(1_000_000 + i).slice(-7)}`), ...over,
  }, { version });
}

const producers = new WeakMap<KafkaClient, Producer>();

/** Publishes values on a topic (entity.state by default), keyed by entity id. */
export async function publish<V extends { entityId: string }>(kafka: KafkaClient, values: readonly V[], topic: string = TOPICS.entityState, key: (v: V) => string = (v) => v.entityId): Promise<void> {
  let p = producers.get(kafka);
  if (!p) { p = kafka.producer(); producers.set(kafka, p); }
  await p.send(topic, values.map((v) => ({ key: key(v), value: v })));
}

/** A sink process configured by SINK_CONFIG_JSON. */
export function sinkProcess(run: TestRun, config: { id: string } & Record<string, unknown>, env: NodeJS.ProcessEnv = {}): ServiceProcess {
  return new ServiceProcess(`sink-${config.id}`, ['services/sink/src/main.ts'], { ...run.env, SINK_CONFIG_JSON: JSON.stringify(config), ...env }, run.logDir);
}

export interface SyncResult {
  sinkId: string; entityId: string; entityVersion: number; outcome: string; reason: string | null; reasonCode: string | null;
  targetId: string | null; heldFields: Record<string, string>; dependsOn: string | null; trigger: string | null; at: number;
  steps: Array<{ name: string; status: string }>;
}

export async function results(kafka: KafkaClient, sinkId: string): Promise<SyncResult[]> {
  return (await kafka.readAll<SyncResult>(TOPICS.sinkResults, { timeoutMs: 5_000 })).map((r) => r.value).filter((v) => v.sinkId === sinkId);
}

/** The latest result for an entity (optionally of one version). */
export async function resultOf(kafka: KafkaClient, sinkId: string, entityId: string, version?: number): Promise<SyncResult | undefined> {
  return (await results(kafka, sinkId)).filter((r) => r.entityId === entityId && (version === undefined || r.entityVersion === version)).at(-1);
}

/** Resources of a type on a FHIR peer, grouped by the entity id they carry (ours). */
export async function byEntity(peer: FhirPeer, resourceType: string): Promise<{ total: number; byId: Map<string, Record<string, unknown>[]> }> {
  const all = await peer.all(resourceType);
  const byId = new Map<string, Record<string, unknown>[]>();
  for (const r of all) {
    const id = ((r.identifier ?? []) as { system: string; value: string }[]).find((i) => i.system === ENTITY_SYSTEM)?.value;
    if (id) byId.set(id, [...(byId.get(id) ?? []), r]);
  }
  return { total: all.length, byId };
}

/** Sum of cr_consumer_lag over the partitions of a group, or undefined before the first measurement. */
export function lagOf(metrics: string, group: string): number | undefined {
  const values = [...metrics.matchAll(/^cr_consumer_lag\{([^}]*)\} (\d+)/gm)].filter((m) => m[1]!.includes(`group="${group}"`) && m[1]!.includes('topic="entity.state.v1"')).map((m) => Number(m[2]));
  return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
}

export async function stats(peer: FhirPeer): Promise<{ requests: { byMethod: Record<string, number>; byStatus: Record<string, number> }; faultsFired: Record<string, number> }> {
  return (await fetch(`${peer.adminUrl}/stats`)).json() as Promise<never>;
}

export async function read(peer: FhirPeer, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${peer.url}/${path}`, { headers: { accept: 'application/fhir+json' } });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/** Resources of a type on a peer, counted over its admin API (never subject to faults). */
export async function adminCount(peer: FhirPeer, resourceType: string): Promise<number> {
  return ((await (await fetch(`${peer.adminUrl}/count/${resourceType}`)).json()) as { count: number }).count;
}
