import { TOPICS } from '@cr/kafka';
import type { EntityState, RawRecord, ResolvedEvent, ReviewTask, WorldEvent } from '@cr/world-model';
import type { Rec, TopicDump } from './read-topics.ts';
import { distribution, rate, type Distribution } from './stats.ts';

/**
 * Follows every event through the pipeline by the ids each stage carries over
 * (raw record id -> event causation id -> resolved event id -> entity state
 * event count -> sink result entity version) and measures each hop with broker
 * timestamps. Pure: works on topic dumps.
 */

interface SyncResult { entityId: string; entityVersion: number; outcome: string }

export interface Chain {
  kind: string;
  /** When the pipeline got the input: raw record ingestedAt, or the write's recordedAt. */
  inputAt: number;
  sourceLastUpdated: number | null;
  raw?: number;
  world?: number;
  resolved?: number;
  review?: number;
  state?: number;
  sink?: number;
  sinkOutcome?: string;
}

export interface Phase {
  name: string;
  startMs: number;
  /** Inputs recorded before this belong to the phase. */
  endMs: number;
}

export interface PhaseFigures {
  inputs: Record<string, number>;
  /** Entity states produced for this phase's events. */
  states: number;
  sinkResults: Record<string, number>;
  throughput: { toEntityState: number | null; toSink: number | null; sinkWrites: number | null };
  /**
   * Outputs per second of each stage over the span of its own outputs: in the
   * backlog phase, the first stage whose rate drops below the one before it is
   * the bottleneck.
   */
  stageRates: Record<string, number | null>;
  /** Last output of the phase, ms after its start. */
  lastStateAfterMs: number | null;
  lastSinkAfterMs: number | null;
  latencyMs: Record<string, Distribution>;
}

function firstBy<V, K>(records: readonly Rec<V>[], key: (v: V) => K): Map<K, Rec<V>> {
  const out = new Map<K, Rec<V>>();
  for (const r of records) {
    if (r.value === null) continue;
    const k = key(r.value);
    if (!out.has(k)) out.set(k, r);
  }
  return out;
}

function kindOf(world: WorldEvent, raw: RawRecord | undefined): string {
  if (raw) return raw.resourceType;
  return world.origin;
}

export function buildChains(topics: Map<string, TopicDump>): Chain[] {
  const get = <V>(t: string): Rec<V>[] => (topics.get(t)?.records ?? []) as Rec<V>[];
  const raws = firstBy(get<RawRecord>(TOPICS.rawRecords), (v) => v.recordId);
  const worlds = firstBy(get<WorldEvent>(TOPICS.worldEvents), (v) => v.eventId);
  const tasks = new Map<string, Rec<ReviewTask>>();
  for (const t of get<ReviewTask>(TOPICS.reviewTasks)) for (const id of t.value.eventIds) if (!tasks.has(id)) tasks.set(id, t);
  // Entity state: the n-th event applied to an entity is first shown by the first state with
  // eventCount >= n (the projection publishes one state per entity per batch, so several
  // events may first show up together).
  const statesOf = new Map<string, Rec<EntityState>[]>();
  for (const r of get<EntityState>(TOPICS.entityState)) {
    if (r.value === null) continue;
    const list = statesOf.get(r.value.entityId) ?? [];
    list.push(r);
    statesOf.set(r.value.entityId, list);
  }
  const stateShowing = (entityId: string, n: number): Rec<EntityState> | undefined => statesOf.get(entityId)?.find((r) => r.value.eventCount >= n);
  const sinks = firstBy(get<SyncResult>(TOPICS.sinkResults), (v) => `${v.entityId}@${v.entityVersion}`);

  const chains: Chain[] = [];
  const applied = new Map<string, Set<string>>();
  for (const r of get<ResolvedEvent>(TOPICS.entityEvents)) {
    const { entityId, event } = r.value;
    const seen = applied.get(entityId) ?? new Set<string>();
    applied.set(entityId, seen);
    if (seen.has(event.eventId)) continue; // a re-delivery: the projection skips it
    seen.add(event.eventId);
    const world = worlds.get(event.eventId);
    const rawRec = raws.get(event.causationId);
    const state = stateShowing(entityId, seen.size);
    const sink = state ? sinks.get(`${entityId}@${state.value.version}`) : undefined;
    const lastUpdated = rawRec?.value.sourceLastUpdated ? Date.parse(rawRec.value.sourceLastUpdated) : NaN;
    chains.push({
      kind: kindOf(event, rawRec?.value),
      inputAt: event.recordedAt,
      sourceLastUpdated: Number.isNaN(lastUpdated) ? null : lastUpdated,
      ...(rawRec ? { raw: rawRec.timestamp } : {}),
      ...(world ? { world: world.timestamp } : {}),
      resolved: r.timestamp,
      ...(tasks.has(event.eventId) ? { review: tasks.get(event.eventId)!.timestamp } : {}),
      ...(state ? { state: state.timestamp } : {}),
      ...(sink ? { sink: sink.timestamp, sinkOutcome: sink.value.outcome } : {}),
    });
  }
  return chains;
}

/** Raw records that never became a world event (dead-lettered by unification, or still in flight), by resource type. */
export function unmappedRaw(topics: Map<string, TopicDump>): Record<string, number> {
  const caused = new Set(((topics.get(TOPICS.worldEvents)?.records ?? []) as Rec<WorldEvent>[]).map((r) => r.value.causationId));
  const out: Record<string, number> = {};
  for (const r of (topics.get(TOPICS.rawRecords)?.records ?? []) as Rec<RawRecord>[]) {
    if (!caused.has(r.value.recordId)) out[r.value.resourceType] = (out[r.value.resourceType] ?? 0) + 1;
  }
  return out;
}

/** Largest value, without spreading a large array into arguments. */
const maxOf = (values: readonly number[]): number | null => (values.length ? values.reduce((m, v) => (v > m ? v : m), -Infinity) : null);

const hop = (to: number | undefined, from: number | null | undefined): number | undefined =>
  to === undefined || from === undefined || from === null ? undefined : to - from;

export const STAGE_HOPS: ReadonlyArray<readonly [string, (c: Chain) => number | undefined]> = [
  ['ingest: source lastUpdated -> raw record', (c) => hop(c.raw, c.sourceLastUpdated)],
  ['ingest: ingestedAt -> raw record', (c) => hop(c.raw, c.raw === undefined ? undefined : c.inputAt)],
  ['unification: raw record -> world event', (c) => hop(c.world, c.raw)],
  ['resolution: world event -> resolved event', (c) => hop(c.resolved, c.world)],
  ['review: resolved event -> review task', (c) => hop(c.review, c.resolved)],
  ['projection: resolved event -> entity.state', (c) => hop(c.state, c.resolved)],
  ['sink: entity.state -> sink result', (c) => hop(c.sink, c.state)],
  ['end to end: input -> entity.state', (c) => hop(c.state, c.inputAt)],
  ['end to end: source lastUpdated -> entity.state', (c) => hop(c.state, c.sourceLastUpdated)],
  ['end to end: input -> sink result', (c) => hop(c.sink, c.inputAt)],
];

const STAGE_OUTPUTS: ReadonlyArray<readonly [string, (c: Chain) => number | undefined]> = [
  ['ingest', (c) => c.raw],
  ['unification', (c) => (c.raw === undefined ? undefined : c.world)],
  ['resolution', (c) => c.resolved],
  ['projection', (c) => c.state],
  ['sink', (c) => c.sink],
];

export function phaseFigures(chains: readonly Chain[], phase: Phase): PhaseFigures {
  const mine = chains.filter((c) => c.inputAt >= phase.startMs && c.inputAt < phase.endMs);
  const inputs: Record<string, number> = {};
  for (const c of mine) inputs[c.kind] = (inputs[c.kind] ?? 0) + 1;
  const withState = mine.filter((c) => c.state !== undefined);
  const withSink = mine.filter((c) => c.sink !== undefined);
  const sinkResults: Record<string, number> = {};
  for (const c of withSink) sinkResults[c.sinkOutcome!] = (sinkResults[c.sinkOutcome!] ?? 0) + 1;
  const lastState = maxOf(withState.map((c) => c.state!));
  const lastSink = maxOf(withSink.map((c) => c.sink!));
  const lastWrite = withSink.filter((c) => c.sinkOutcome === 'written');
  const latencyMs: Record<string, Distribution> = {};
  for (const [name, f] of STAGE_HOPS) {
    latencyMs[name] = distribution(mine.map(f).filter((v): v is number => v !== undefined));
  }
  const stageRates: Record<string, number | null> = {};
  for (const [name, at] of STAGE_OUTPUTS) {
    const times = mine.map(at).filter((t): t is number => t !== undefined);
    const first = times.length ? times.reduce((m, v) => (v < m ? v : m), Infinity) : 0;
    stageRates[name] = rate(times.length, first, maxOf(times));
  }
  return {
    inputs,
    stageRates,
    states: withState.length,
    sinkResults,
    throughput: {
      toEntityState: rate(withState.length, phase.startMs, lastState),
      toSink: rate(withSink.length, phase.startMs, lastSink),
      sinkWrites: rate(lastWrite.length, phase.startMs, maxOf(lastWrite.map((c) => c.sink!))),
    },
    lastStateAfterMs: lastState === null ? null : lastState - phase.startMs,
    lastSinkAfterMs: lastSink === null ? null : lastSink - phase.startMs,
    latencyMs,
  };
}
