import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 keeps a 1 ms timer spinning on every broker connection for as
 * long as the connection lives (kafkajs issue 1751, the "negative timeout"
 * warning): after any response, `scheduleCheckPendingRequests` arms
 * `setTimeout(check, throttledUntil - now)` with `throttledUntil = -1`, a large
 * negative delay that Node clamps to 1 ms, and the check re-arms it. The
 * pipeline benchmark measured about 7 % of a core per idle service, with
 * several such loops per process.
 *
 * With nothing pending there is nothing to check: a new request is sent at
 * once or queued (and that schedules a check), and every response checks the
 * queue again. So the timer is armed only while requests wait, exactly as the
 * library intends when it is throttled or at its in-flight limit.
 */

const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10; // kafkajs' own constant

interface RequestQueueLike {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

let applied = false;

/** Idempotent; leaves a kafkajs whose queue does not look like 2.2.x untouched. */
export function applyKafkajsTimerFix(): boolean {
  if (applied) return true;
  const require = createRequire(import.meta.url);
  let RequestQueue: { prototype: RequestQueueLike } | undefined;
  try {
    RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueLike };
  } catch {
    return false;
  }
  const proto = RequestQueue.prototype;
  if (typeof proto?.scheduleCheckPendingRequests !== 'function' || typeof proto.checkPendingRequests !== 'function') return false;
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueLike): void {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const throttledFor = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, throttledFor > 0 ? throttledFor : CHECK_PENDING_REQUESTS_INTERVAL_MS);
  };
  applied = true;
  return true;
}
