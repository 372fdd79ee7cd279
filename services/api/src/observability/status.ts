import type { Freshness } from './freshness.ts';

/**
 * The pipeline's overall status and per-stage summary, decided from what the
 * api knows (database) and sees (live). Pure: the caller passes time and state.
 */
export type PipelineStatus = 'healthy' | 'degraded' | 'starting';
export type StageName = 'source' | 'normalise' | 'world_model';
export type StageStatus = 'ok' | 'warning' | 'error' | 'unknown';

export interface LoopView {
  service: string;
  instanceId: string;
  loop: string;
  state: string;
  lastBeatAt: string;
  stale: boolean;
}

export interface StatusInput {
  now: number;
  /** When the api process started, ms. */
  startedAt: number;
  heartbeatTimeoutMs: number;
  /** Whether the observability consumer has read up to the end offsets it saw at start; null: not known (live unavailable). */
  caughtUp: boolean | null;
  live: { available: boolean; error: string | null };
  sources: readonly { dataSourceId: string; enabled: boolean; status: 'healthy' | 'unhealthy' | 'unknown'; freshness: Freshness }[];
  /** Null when live is unavailable. */
  loops: readonly LoopView[] | null;
  sinks: readonly { sinkId: string; lag: number | null }[];
  sinkLagThreshold: number;
}

export interface StageView { stage: StageName; status: StageStatus; detail: string }

export interface StatusView {
  status: PipelineStatus;
  reasons: string[];
  stages: StageView[];
}

/** Which services' loops make up each stage. */
export const STAGE_SERVICES: Record<StageName, readonly string[]> = {
  source: ['ingest'],
  normalise: ['unification'],
  world_model: ['resolution', 'review', 'projection'],
};

/** A loop that stopped on purpose is not a fault. */
const isFault = (l: LoopView): boolean => l.stale && l.state !== 'stopping';

function loopStage(stage: StageName, loops: readonly LoopView[] | null): StageView {
  if (loops === null) return { stage, status: 'unknown', detail: 'live data unavailable' };
  const mine = loops.filter((l) => STAGE_SERVICES[stage].includes(l.service) && l.state !== 'stopping');
  if (mine.length === 0) return { stage, status: 'unknown', detail: `no heartbeats from ${STAGE_SERVICES[stage].join(', ')}` };
  const stale = mine.filter(isFault).length;
  if (stale === mine.length) return { stage, status: 'error', detail: `all ${mine.length} loops silent` };
  if (stale) return { stage, status: 'warning', detail: `${stale} of ${mine.length} loops silent` };
  return { stage, status: 'ok', detail: `${mine.length} loop${mine.length === 1 ? '' : 's'} running` };
}

function sourceStage(input: StatusInput): StageView {
  const enabled = input.sources.filter((s) => s.enabled);
  const loops = loopStage('source', input.loops);
  if (enabled.length === 0) return { stage: 'source', status: 'unknown', detail: 'no enabled data sources' };
  const unhealthy = enabled.filter((s) => s.status === 'unhealthy').length;
  const lagging = enabled.filter((s) => s.freshness !== 'fresh').length;
  const n = `${enabled.length} source${enabled.length === 1 ? '' : 's'}`;
  if (unhealthy) return { stage: 'source', status: 'error', detail: `${unhealthy} of ${n} unhealthy` };
  if (loops.status === 'error' || loops.status === 'warning') return { stage: 'source', status: 'warning', detail: `ingest: ${loops.detail}` };
  if (lagging) return { stage: 'source', status: 'warning', detail: `${lagging} of ${n} not fresh` };
  return { stage: 'source', status: 'ok', detail: `${n}, all healthy and fresh` };
}

export function pipelineStatus(input: StatusInput): StatusView {
  const reasons: string[] = [];
  if (!input.live.available) reasons.push(`live pipeline data unavailable${input.live.error ? `: ${input.live.error}` : ''}`);
  for (const s of input.sources) if (s.enabled && s.status === 'unhealthy') reasons.push(`source ${s.dataSourceId} is unhealthy`);
  for (const l of input.loops ?? []) {
    if (isFault(l)) reasons.push(`loop ${l.service}/${l.instanceId}/${l.loop} has not reported since ${l.lastBeatAt}`);
  }
  for (const s of input.sinks) {
    if (s.lag !== null && s.lag > input.sinkLagThreshold) reasons.push(`sink ${s.sinkId} lags ${s.lag} records`);
  }
  const stages: StageView[] = [sourceStage(input), loopStage('normalise', input.loops), loopStage('world_model', input.loops)];
  if (reasons.length) return { status: 'degraded', reasons, stages };
  const young = input.now - input.startedAt < input.heartbeatTimeoutMs;
  const noBeats = (input.loops ?? []).length === 0;
  if ((young && noBeats) || input.caughtUp === false) {
    return { status: 'starting', reasons: [young && noBeats ? 'waiting for the first heartbeats' : 'catching up with the pipeline topics'], stages };
  }
  return { status: 'healthy', reasons, stages };
}
