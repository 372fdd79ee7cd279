import { describeError, type Logger } from '@cr/core';
import type { LoopHandle } from '@cr/runtime';
import { mayPoll, type BusinessHours } from '@cr/world-model';
import type { ConnectorContext } from '../connector.ts';
import type { CycleReport, HealthPublisher } from '../health/health-publisher.ts';

/** One resource's poll loop: its own cadence, run by the shared loop machinery. */
export interface PollTask {
  resourceType: string;
  intervalMs: number;
  /** One cycle; throws to report a failed cycle. `signal` aborts when the source stops. */
  run(signal: AbortSignal): Promise<Omit<CycleReport, 'resourceType' | 'startedAt' | 'durationMs' | 'error'>>;
}

export interface TaskLoops {
  stop(): Promise<void>;
}

/** Re-check a closed business-hours gate at least this often. */
const GATE_RECHECK_MS = 60_000;

/**
 * Runs every task on its own cadence: skips cycles while the business-hours gate
 * is closed, reports each cycle's outcome to source health, and never lets one
 * failed cycle stop the loop (the next cycle is the retry of last resort).
 */
export interface TaskLoopOptions { dataSourceId: string; businessHours: BusinessHours | undefined; health: HealthPublisher; logger: Logger; now?: () => number; loop?: LoopHandle | undefined }

/** A connector's task-loop options: everything from its context, the business-hours gate from its config. */
export function taskLoopOptions(ctx: ConnectorContext, businessHours: BusinessHours | undefined): TaskLoopOptions {
  return { dataSourceId: ctx.source.id, businessHours, health: ctx.health, logger: ctx.logger, now: ctx.now, loop: ctx.loop };
}

export function startTaskLoops(tasks: readonly PollTask[], o: TaskLoopOptions): TaskLoops {
  const now = o.now ?? Date.now;
  const abort = new AbortController();
  const running = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();

  const schedule = (task: PollTask, delayMs: number): void => {
    if (abort.signal.aborted) return;
    const timer = setTimeout(() => { timers.delete(timer); tick(task); }, delayMs);
    timers.add(timer);
  };

  const tick = (task: PollTask): void => {
    if (!mayPoll(o.businessHours, now())) {
      o.logger.debug({ dataSourceId: o.dataSourceId, resourceType: task.resourceType }, 'ingest.cycle.gated');
      schedule(task, Math.min(task.intervalMs, GATE_RECHECK_MS));
      return;
    }
    o.loop?.running();
    const p = (async () => {
      const startedAt = now();
      try {
        const r = await task.run(abort.signal);
        await o.health.report({ ...r, resourceType: task.resourceType, startedAt, durationMs: now() - startedAt });
        o.logger.info({ dataSourceId: o.dataSourceId, resourceType: task.resourceType, cycle: r.cycle, fetched: r.fetched, emitted: r.emitted }, 'ingest.cycle.done');
      } catch (error) {
        if (abort.signal.aborted) return;
        const state = await o.health.report({ resourceType: task.resourceType, startedAt, durationMs: now() - startedAt, fetched: 0, emitted: 0, error });
        o.logger.warn({ dataSourceId: o.dataSourceId, resourceType: task.resourceType, ...describeError(error), consecutiveErrors: state.consecutiveErrors }, 'ingest.cycle.failed');
      }
    })().finally(() => {
      running.delete(p);
      if (running.size === 0) o.loop?.idle();
      schedule(task, task.intervalMs);
    });
    running.add(p);
  };

  for (const task of tasks) tick(task);
  return {
    async stop() {
      abort.abort();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all([...running]);
    },
  };
}
