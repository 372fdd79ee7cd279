import { describeError, type Logger } from '@cr/core';
import { TOPICS, type OutgoingMessage } from '@cr/kafka';

/** `schemas/Heartbeat.avsc`. */
export type LoopState = 'starting' | 'running' | 'idle' | 'stopping';

export interface Heartbeat {
  instanceId: string;
  service: string;
  loop: string;
  state: LoopState;
  at: number;
}

/** A loop's way to say what it is doing; the publisher reports it with the next beat. */
export interface LoopHandle {
  /** Working (a cycle in progress, or work waiting). */
  running(): void;
  /** Alive with nothing to do (waiting for its next tick). */
  idle(): void;
  /** The loop is gone for good (e.g. its data source was removed): no more beats for it. */
  close(): void;
}

/** The service's own loops (timers, scanners) besides its consumer groups. */
export interface Loops {
  register(name: string): LoopHandle;
}

export interface HeartbeatPublisher extends Loops {
  /** The service is ready: its loops go from `starting` to their own state. */
  ready(): void;
  /** A loop may have appeared (a consumer started): beat now rather than at the next tick. */
  kick(): void;
  /** One last `stopping` beat per loop (bounded wait), then no more. Never throws. */
  stop(): Promise<void>;
}

export interface HeartbeatOptions {
  service: string;
  instanceId: string;
  intervalMs: number;
  producer: { send(topic: string, messages: readonly OutgoingMessage<Heartbeat>[]): Promise<void> };
  /** Consumer groups running now (logical ids): each is a loop. */
  consumerGroups: () => readonly { groupId: string }[];
  logger: Logger;
  now?: () => number;
  /** Longest wait for the last beat at shutdown. Default 5 s. */
  stopTimeoutMs?: number;
}

/**
 * Publishes one Heartbeat per loop of the service every `intervalMs` on
 * `pipeline.heartbeats.v1`, keyed `<service>/<instanceId>/<loop>`: `starting`
 * until the service is ready, then `running` (or `idle`, as a registered loop
 * says), and `stopping` once at shutdown. A failed publish is logged (class and
 * message, never a payload) and the next tick tries again; it never stops the service.
 */
const MAX_QUEUED = 5;

export function startHeartbeats(o: HeartbeatOptions): HeartbeatPublisher {
  const log = o.logger.child({ component: 'heartbeats' });
  const now = o.now ?? Date.now;
  const registered = new Map<string, 'running' | 'idle'>();
  let phase: 'starting' | 'ready' | 'stopping' = 'starting';
  let inFlight: Promise<void> | undefined;
  let queued: Heartbeat[][] = [];
  let failing = false;

  function beats(): Heartbeat[] {
    const at = now();
    const names = new Set([...o.consumerGroups().map((g) => g.groupId), ...registered.keys()]);
    return [...names].map((loop) => ({
      instanceId: o.instanceId, service: o.service, loop, at,
      state: phase === 'starting' ? 'starting' : phase === 'stopping' ? 'stopping' : registered.get(loop) ?? 'running',
    }));
  }

  async function publish(list: readonly Heartbeat[]): Promise<void> {
    try {
      await o.producer.send(TOPICS.heartbeats, list.map((b) => ({ key: `${b.service}/${b.instanceId}/${b.loop}`, value: b })));
      if (failing) log.info({ loops: list.length }, 'heartbeat.publish_recovered');
      failing = false;
    } catch (error) {
      if (!failing) log.warn({ loops: list.length, ...describeError(error) }, 'heartbeat.publish_failed');
      failing = true;
    }
  }

  /**
   * The beats as they are now (so a loop seen while starting is reported as
   * starting, even if the send waits); one send at a time, and what is asked for
   * meanwhile goes in the next one. Kafka down: only the latest few are kept.
   */
  function beat(): Promise<void> {
    const snapshot = beats();
    if (snapshot.length) {
      queued.push(snapshot);
      if (queued.length > MAX_QUEUED) queued.shift();
    }
    inFlight ??= (async () => {
      while (queued.length) {
        const list = queued.flat();
        queued = [];
        await publish(list);
      }
    })().finally(() => { inFlight = undefined; });
    return inFlight;
  }

  const timer = setInterval(() => { void beat(); }, o.intervalMs);
  timer.unref();

  return {
    register(name) {
      registered.set(name, 'running');
      void beat();
      let closed = false;
      const set = (state: 'running' | 'idle'): void => { if (!closed) registered.set(name, state); };
      return { running: () => set('running'), idle: () => set('idle'), close: () => { closed = true; registered.delete(name); } };
    },
    ready() {
      phase = 'ready';
      void beat();
    },
    kick() {
      if (phase !== 'stopping') void beat();
    },
    async stop() {
      if (phase === 'stopping') return;
      clearInterval(timer);
      phase = 'stopping';
      queued = [];
      const last = beats();
      let timeout: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => { timeout = setTimeout(resolve, o.stopTimeoutMs ?? 5_000); });
      // After the send in flight (order per key), bounded: a broker that is down never holds up shutdown.
      await Promise.race([(async () => { await inFlight; if (last.length) await publish(last); })(), limit]);
      clearTimeout(timeout);
    },
  };
}
