import { backoffDelay, describeError, isRetriable, type Logger } from '@cr/core';

export type RequeueReason = 'missed' | 'behind' | 'dependency_ready' | 'read_back' | 'dependency';

export interface QueueItem { entityId: string; reason: RequeueReason }

export interface WorkQueue {
  /** Adds an entity once (a second push while it waits changes nothing). */
  push(entityId: string, reason: RequeueReason): void;
  readonly size: number;
  /** Finishes the item in hand and drops the rest (reconciliation finds them again). */
  stop(): Promise<void>;
}

/**
 * Entities to sync again outside the real-time path (reconciliation, dependencies
 * now written), one at a time. A retriable failure (target down) puts the item
 * back and waits with backoff; any other failure is logged and the item dropped
 * (the sync itself dead-letters refusals).
 */
export function createWorkQueue(o: { handle: (item: QueueItem) => Promise<void>; logger: Logger; onPush?: (reason: RequeueReason) => void; retry?: { initialDelayMs: number; maxDelayMs: number; jitter: number } }): WorkQueue {
  const pending = new Map<string, RequeueReason>();
  const retry = o.retry ?? { initialDelayMs: 500, maxDelayMs: 30_000, jitter: 0.3 };
  let running: Promise<void> | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;

  const pause = (ms: number): Promise<void> => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => { clearTimeout(timer); resolve(); };
  });

  async function drain(): Promise<void> {
    let failures = 0;
    while (!stopped && pending.size > 0) {
      const [entityId, reason] = pending.entries().next().value as [string, RequeueReason];
      pending.delete(entityId);
      try {
        await o.handle({ entityId, reason });
        failures = 0;
      } catch (error) {
        o.logger.warn({ entityId, reason, ...describeError(error) }, 'sink.requeue.failed');
        if (!isRetriable(error)) continue;
        if (!pending.has(entityId)) pending.set(entityId, reason);
        await pause(backoffDelay(++failures, error, retry));
      }
    }
  }

  function kick(): void {
    if (running || stopped) return;
    running = drain().finally(() => {
      running = undefined;
      if (pending.size > 0) kick();
    });
  }

  return {
    push(entityId, reason) {
      if (stopped) return;
      if (!pending.has(entityId)) { pending.set(entityId, reason); o.onPush?.(reason); }
      kick();
    },
    get size() { return pending.size; },
    async stop() {
      stopped = true;
      pending.clear();
      wake?.();
      await running;
    },
  };
}
