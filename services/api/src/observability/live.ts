import { describeError, type Clock, type Logger } from '@cr/core';
import { partitionLag, TOPICS, type Admin } from '@cr/kafka';
import type { LoopView } from './status.ts';

/** What a Heartbeat record says (pipeline.heartbeats). */
export interface Heartbeat { instanceId: string; service: string; loop: string; state: string; at: number | Date }

export interface LiveState {
  available: boolean;
  checkedAt: number;
  error: string | null;
  /** Lag of each sink's group `sink-<id>` on entity.state; empty when unavailable. */
  sinkLag: Map<string, number>;
  /** End offsets of the observed topics at this check. */
  endOffsets: Map<string, Map<number, bigint>>;
}

export interface LiveView {
  /** Records a heartbeat (from the per-instance heartbeat consumer). */
  beat(hb: Heartbeat): void;
  /** Every loop seen, with `stale` after 3 missed intervals. */
  loops(now: number): LoopView[];
  /** Whether any heartbeat has arrived since start. */
  sawHeartbeat(): boolean;
  /** Asks Kafka (admin) for lag and end offsets; cached for `cacheMs`, bounded by `timeoutMs`, one call in flight. */
  check(sinkIds: readonly string[], topics: readonly string[]): Promise<LiveState>;
}

export interface LiveViewOptions {
  admin: Pick<Admin, 'committedOffsets' | 'endOffsets'>;
  clock: Clock;
  logger: Logger;
  heartbeatIntervalMs: number;
  timeoutMs: number;
  cacheMs: number;
}

/** Silent for this many intervals: stale. */
export const STALE_AFTER_BEATS = 3;
/** A loop silent this long is forgotten (an instance that went away for good). */
const FORGET_AFTER_MS = 15 * 60_000;

const sinkGroup = (sinkId: string): string => `sink-${sinkId}`;

export function createLiveView(o: LiveViewOptions): LiveView {
  const log = o.logger.child({ component: 'observability-live' });
  const beats = new Map<string, LoopView & { at: number }>();
  let seen = false;
  let cached: { key: string; state: LiveState } | undefined;
  let pending: Promise<LiveState> | undefined;

  async function measure(sinkIds: readonly string[], topics: readonly string[]): Promise<LiveState> {
    const checkedAt = o.clock.now().getTime();
    const ends = await Promise.all([TOPICS.entityState, ...topics].map(async (t) => [t, await o.admin.endOffsets(t)] as const));
    const endOffsets = new Map(ends.map(([t, offs]) => [t, new Map(offs.map((p) => [p.partition, BigInt(p.offset)]))]));
    const stateEnds = ends[0]![1];
    const sinkLag = new Map<string, number>();
    await Promise.all(sinkIds.map(async (id) => {
      const committed = await o.admin.committedOffsets(sinkGroup(id), TOPICS.entityState);
      sinkLag.set(id, stateEnds.reduce((sum, end) => sum + partitionLag(end.offset, committed.find((c) => c.partition === end.partition)?.offset ?? '-1'), 0));
    }));
    return { available: true, checkedAt, error: null, sinkLag, endOffsets };
  }

  return {
    beat(hb) {
      seen = true;
      const at = hb.at instanceof Date ? hb.at.getTime() : Number(hb.at);
      const key = `${hb.service}/${hb.instanceId}/${hb.loop}`;
      const prev = beats.get(key);
      if (prev && prev.at > at) return;
      beats.set(key, { service: hb.service, instanceId: hb.instanceId, loop: hb.loop, state: hb.state, lastBeatAt: new Date(at).toISOString(), stale: false, at });
    },

    loops(now) {
      const out: LoopView[] = [];
      for (const [key, b] of beats) {
        if (now - b.at > FORGET_AFTER_MS) { beats.delete(key); continue; }
        const { at, ...view } = b;
        out.push({ ...view, stale: now - at > STALE_AFTER_BEATS * o.heartbeatIntervalMs });
      }
      return out.sort((a, b) => `${a.service}/${a.instanceId}/${a.loop}`.localeCompare(`${b.service}/${b.instanceId}/${b.loop}`));
    },

    sawHeartbeat: () => seen,

    async check(sinkIds, topics) {
      const key = JSON.stringify([sinkIds, topics]);
      const now = o.clock.now().getTime();
      if (cached && cached.key === key && now - cached.state.checkedAt < o.cacheMs) return cached.state;
      // One admin round trip at a time: while the broker is away, its retries do
      // not pile up; a caller waits at most `timeoutMs` for the one in flight.
      if (!pending) {
        const started = measure(sinkIds, topics);
        pending = started;
        started.then((state) => { cached = { key, state }; }, () => undefined).finally(() => { if (pending === started) pending = undefined; });
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([pending, new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer from Kafka within ${o.timeoutMs} ms`)), o.timeoutMs);
        })]);
      } catch (error) {
        const d = describeError(error);
        log.warn({ errorClass: d.errorClass, error: d.message }, 'observability.live.unavailable');
        const state: LiveState = { available: false, checkedAt: o.clock.now().getTime(), error: d.message.slice(0, 200), sinkLag: new Map(), endOffsets: new Map() };
        cached = { key, state };
        return state;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
