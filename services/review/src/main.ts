import { TOPICS } from '@cr/kafka';
import { runService } from '@cr/runtime';
import { createDeterministicJudge, routeForReview, type Judge, type ResolvedEvent, type ReviewDecision } from '@cr/world-model';
import { reviewConfigSchema, reviewEnv } from './config.ts';
import { handleDecision } from './decisions.ts';
import { createLlmJudge } from './llm-judge.ts';
import { startReviewLoop } from './loop.ts';
import { reviewMetrics } from './metrics.ts';
import { createReviewStore } from './store.ts';

await runService({
  name: 'review',
  configSchema: reviewConfigSchema,
  env: reviewEnv,
  async start({ kafka, ops, db, config, logger, clock, common, loops }) {
    const metrics = reviewMetrics(ops.registry);
    const store = await createReviewStore(db);
    const deterministic = createDeterministicJudge({ verifiedConfidence: config.verifiedConfidence });
    const llm = config.llm.baseUrl
      ? createLlmJudge({
        ...config.llm, baseUrl: config.llm.baseUrl, verifiedConfidence: config.verifiedConfidence, fallback: deterministic, logger,
        onEvent: (e) => {
          if (e === 'fallback') metrics.judgeFallbacks.inc();
          else metrics.breakerOpen.set(e === 'open' ? 1 : 0);
        },
      })
      : undefined;
    const judge: Judge = llm ?? deterministic;
    logger.info({ judge: judge.name, debounceMs: config.debounceMs, maxWaitMs: config.maxWaitMs }, 'review.judge');

    const producer = kafka.producer({ stage: 'review', metricsRegistry: ops.registry });
    await producer.connect();
    const loop = startReviewLoop({
      store, judge, producer, logger, clock, metrics, instanceId: common.instanceId, leaseMs: config.leaseMs, scanIntervalMs: config.scanIntervalMs,
      loop: loops.register('review-rounds'),
    });

    // Real-time path: each sub-threshold event is recorded and its entity scheduled.
    const events = await kafka.runConsumer({
      groupId: 'review',
      topics: [TOPICS.entityEvents],
      stage: 'review',
      metricsRegistry: ops.registry,
      handle: async (record) => {
        const resolved = record.value as ResolvedEvent;
        if (routeForReview(resolved, config.thresholds).route === 'pass') return [];
        const { queued, dueAt } = await store.enqueue(resolved, clock.now().getTime(), config.debounceMs, config.maxWaitMs);
        if (queued) {
          metrics.queued.inc();
          loop.schedule(dueAt);
        }
        return [];
      },
    });

    const decisions = await kafka.runConsumer({
      groupId: 'review-decisions',
      topics: [TOPICS.reviewDecisions],
      stage: 'review',
      metricsRegistry: ops.registry,
      handle: async (record) => handleDecision(record.value as ReviewDecision, store, metrics, logger),
    });

    return {
      async stop() {
        await Promise.all([events.stop(), decisions.stop()]);
        await loop.stop();
        llm?.shutdown();
        await producer.disconnect();
      },
    };
  },
});
