import { deterministicId, describeError, type Clock, type Logger } from '@cr/core';
import { TOPICS, type OutputMessage, type Producer } from '@cr/kafka';
import type { LoopHandle } from '@cr/runtime';
import { planReview, type Judge, type ReviewIds } from '@cr/world-model';
import type { ReviewMetrics } from './metrics.ts';
import type { ReviewStore } from './store.ts';

export interface ReviewLoopOptions {
  store: ReviewStore;
  judge: Judge;
  producer: Producer;
  logger: Logger;
  clock: Clock;
  metrics: ReviewMetrics;
  instanceId: string;
  leaseMs: number;
  scanIntervalMs: number;
  /** Heartbeats: running while draining, idle while waiting. */
  loop?: LoopHandle;
}

export interface ReviewLoop {
  /** The real-time path: an entity became due at `dueAt` (ms). */
  schedule(dueAt: number): void;
  stop(): Promise<void>;
}

export const REVIEW_IDS: ReviewIds = {
  verdictId: (eventId, judge, outcome) => deterministicId('verdict', eventId, judge, outcome),
  taskId: (entityId, firstEventId) => deterministicId('review-task', entityId, firstEventId),
};

const CLAIM_BATCH = 10;

/**
 * The review loop. Real time: the consumer schedules each entity a moment after
 * its latest sub-threshold event (so a burst is one round); a timer wakes the loop
 * then. Safety net: every `scanIntervalMs` it re-queues entities with waiting
 * events but no queue row, and takes over entities whose lease ran out (a crashed
 * instance). Each round: judge the entity's waiting events, publish verdicts and
 * the entity's one task, and only after Kafka acknowledged them mark them done.
 */
export function startReviewLoop(o: ReviewLoopOptions): ReviewLoop {
  const log = o.logger.child({ component: 'review-loop' });
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function round(entityId: string, claimedDueAt: number): Promise<void> {
    const events = await o.store.pendingEvents(entityId);
    if (events.length === 0) {
      await o.store.finishRound(entityId, claimedDueAt, o.clock.now().getTime(), { verified: [], tasked: [], task: null });
      return;
    }
    const now = o.clock.now().getTime();
    const judged = [];
    for (const resolved of events) {
      const judgement = await o.judge.judge({ entityId, event: resolved.event, now });
      o.metrics.judged.inc({ outcome: judgement.outcome, judge: judgement.judge });
      judged.push({ resolved, judgement });
    }
    const openTask = await o.store.openTask(entityId);
    const plan = planReview({ entityId, judged, openTask, now }, REVIEW_IDS);
    const outputs: OutputMessage[] = plan.verdicts.map((v) => ({ topic: TOPICS.reviewVerdicts, key: entityId, value: v }));
    if (plan.task) outputs.push({ topic: TOPICS.reviewTasks, key: entityId, value: plan.task });
    await o.producer.sendMany(outputs);
    const verified = judged.filter((j) => j.judgement.outcome === 'verified').map((j) => j.resolved.event.eventId);
    const tasked = judged.filter((j) => j.judgement.outcome !== 'verified').map((j) => j.resolved.event.eventId);
    await o.store.finishRound(entityId, claimedDueAt, now, { verified, tasked, task: plan.task });
    o.metrics.rounds.inc();
    const done = o.clock.now().getTime();
    // received_at is not carried here; the round's age is measured from the event's record time.
    for (const j of judged) o.metrics.latency.observe(Math.max(0, done - j.resolved.event.recordedAt) / 1000);
    if (plan.task) o.metrics.tasks.inc({ change: openTask ? 'grown' : 'created' });
    log.info({ entityId, events: events.length, verified: verified.length, tasked: tasked.length, taskId: plan.task?.taskId ?? openTask?.taskId ?? null }, 'review.entity.reviewed');
  }

  async function drain(): Promise<void> {
    while (!stopped) {
      const claimed = await o.store.claimDue(o.instanceId, o.clock.now().getTime(), o.leaseMs, CLAIM_BATCH);
      if (claimed.length === 0) break;
      for (const c of claimed) {
        try {
          await round(c.entityId, c.dueAt);
        } catch (error) {
          // Nothing marked done: the entity is reviewed again on a later pass.
          log.warn({ entityId: c.entityId, err: describeError(error) }, 'review.round.failed');
          await o.store.release(c.entityId).catch(() => undefined);
        }
      }
    }
    const next = await o.store.nextDueAt();
    if (next !== undefined) arm(next);
  }

  function kick(): void {
    if (stopped) return;
    if (running) { again = true; return; }
    o.loop?.running();
    running = drain()
      .catch((error: unknown) => log.warn({ err: describeError(error) }, 'review.drain.failed'))
      .finally(() => {
        running = undefined;
        if (again) { again = false; kick(); } else o.loop?.idle();
      });
  }

  function arm(at: number): void {
    if (stopped || at >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => { timer = undefined; timerAt = Infinity; kick(); }, Math.max(0, at - o.clock.now().getTime()));
  }

  const scan = setInterval(() => {
    void o.store.requeueOrphans(o.clock.now().getTime())
      .then((n) => {
        if (n > 0) { o.metrics.safetyNet.inc(n); log.warn({ entities: n }, 'review.safety_net.requeued'); }
        kick();
      })
      .catch((error: unknown) => log.warn({ err: describeError(error) }, 'review.safety_net.failed'));
  }, o.scanIntervalMs);
  kick(); // whatever was due before a restart

  return {
    schedule: arm,
    async stop() {
      stopped = true;
      clearInterval(scan);
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
