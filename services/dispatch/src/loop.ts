import { describeError, type Logger } from '@cr/core';
import type { LoopHandle } from '@cr/runtime';

export interface Loop {
  /** Run again now instead of waiting out the interval. */
  kick(): void;
  /** Finish the run in progress and stop. */
  stop(): Promise<void>;
}

/**
 * Runs `fn` every `intervalMs` (measured from the end of the last run), one run
 * at a time. A failed run is logged (class and message only) and the loop goes on.
 * `handle` (heartbeats) is running during a run, idle between runs.
 */
export function every(name: string, intervalMs: number, fn: () => Promise<void>, logger: Logger, handle?: LoopHandle): Loop {
  let stopped = false;
  let wake: (() => void) | undefined;
  let kicked = false;
  const running = (async () => {
    while (!stopped) {
      kicked = false;
      handle?.running();
      try {
        await fn();
      } catch (err) {
        logger.warn({ loop: name, err: describeError(err) }, 'dispatch.loop.failed');
      }
      handle?.idle();
      if (stopped) break;
      if (kicked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => { clearTimeout(timer); resolve(); };
      });
      wake = undefined;
    }
  })();
  return {
    kick() { kicked = true; wake?.(); },
    async stop() { stopped = true; wake?.(); await running; },
  };
}
