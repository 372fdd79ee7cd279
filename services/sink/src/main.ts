import { mapKeyed } from '@cr/core';
import { deadLetterTopic, kafkaMetrics, TOPICS } from '@cr/kafka';
import { runService } from '@cr/runtime';
import type { EntityState } from '@cr/world-model';
import { createLlmCodeMapper, NO_LLM } from './code-mapper.ts';
import { sinkEnv, sinkServiceConfigSchema } from './config.ts';
import { createKeyedMutex } from './keyed-mutex.ts';
import { sinkMetrics } from './metrics.ts';
import { createProcessor } from './process.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { startReconciler } from './reconciler.ts';
import { runReviewDecisions } from './review-decisions.ts';
import { createApprovalStore } from './store/approvals.ts';
import { createEntityCopies } from './store/entities.ts';
import { createLedger } from './store/ledger.ts';
import { migrateSink } from './store/tables.ts';
import type { SyncContext } from './sync.ts';
import { targetAuth } from './target/auth.ts';
import { createTarget } from './target/index.ts';
import { createWorkQueue } from './work-queue.ts';

/**
 * Outbound write-back to one target (FHIR store, SMART FHIR, CRM or REST API):
 * entity.state through the gates, translated, written at the target's rate, each
 * outcome on sink.results, refusals on sink.dead-letter, and a reconciliation
 * loop behind it all. One process (or consumer group) per sink.
 */
await runService({
  name: 'sink',
  configSchema: sinkServiceConfigSchema,
  env: sinkEnv,
  async start({ kafka, ops, db, config, logger, common, loops }) {
    await migrateSink(db);
    const log = logger.child({ sinkId: config.id });
    const metrics = sinkMetrics(ops.registry);
    const llmToken = config.llm?.tokenRef ? await (await targetAuth({ kind: 'bearer', tokenRef: config.llm.tokenRef }, config.llm.url, config.llm.timeoutMs))!.token() : undefined;
    const ctx: SyncContext = {
      config, logger: log, metrics, now: () => Date.now(),
      target: await createTarget(config),
      limiter: createRateLimiter({ perSecond: config.rateLimit.writesPerSecond, burst: config.rateLimit.burst }),
      ledger: createLedger(db, config.id), entities: createEntityCopies(db, config.id), approvals: createApprovalStore(db, config.id),
      codes: config.llm ? createLlmCodeMapper({ llm: config.llm, ...(llmToken ? { token: llmToken } : {}), logger: log, onFallback: (reason) => metrics.llmFallbacks.inc({ sink: config.id, reason }) }) : NO_LLM,
      mutex: createKeyedMutex(),
    };
    const producer = kafka.producer({ stage: 'sink', metricsRegistry: ops.registry });
    await producer.connect();
    const deadLetters = kafkaMetrics(ops.registry).deadLetters;
    const queue = createWorkQueue({
      logger: log, retry: config.retry, onPush: (reason) => metrics.requeued.inc({ sink: config.id, reason }),
      handle: async ({ entityId, reason }) => {
        const state = await ctx.entities.get(entityId);
        if (!state) return;
        const trigger = reason === 'dependency' || reason === 'dependency_ready' ? 'dependency' : 'reconcile';
        const outputs = await processor.process(state, { trigger, attempt: 1, force: reason !== 'missed' && reason !== 'behind', verify: reason === 'read_back' });
        await producer.sendMany(outputs);
      },
    });
    const processor = createProcessor({
      ctx,
      encode: (state) => kafka.registry.encode(TOPICS.entityState, state),
      sendDeadLetter: async (message, errorClass) => {
        await producer.sendRaw(deadLetterTopic('sink'), [message]);
        deadLetters.inc({ stage: 'sink', error_class: errorClass });
      },
      requeue: (ids) => ids.forEach((id) => queue.push(id, 'dependency')),
    });

    // One consumer group per sink: a slow or down sink holds back no other. Transient
    // errors are retried without limit (backoff, Retry-After): a target that is down
    // stops this group only, its lag grows (cr_consumer_lag{group="sink-<id>"}) and
    // it catches up when the target is back.
    const consumer = await kafka.runConsumer({
      groupId: `sink-${config.id}`,
      topics: [TOPICS.entityState],
      stage: 'sink',
      metricsRegistry: ops.registry,
      flushEvery: config.flushEvery,
      retry: { maxAttempts: Number.MAX_SAFE_INTEGER, ...config.retry },
      // A chunk of a partition at a time: different entities synced at once (up to
      // `concurrency`), one entity's states in order. A failed record alone is retried.
      maxBatchSize: Math.max(config.flushEvery, config.concurrency * 4),
      handleBatch: (records, hctx) => mapKeyed(records, (r) => r.key ?? `${r.partition}:${r.offset}`, config.concurrency, async (record) => {
        const state = record.value as EntityState | null;
        if (!state) return [];
        return processor.process(state, {
          trigger: 'realtime', attempt: hctx.attempt, force: false, verify: false, tick: hctx.heartbeat,
          source: { topic: record.topic, partition: record.partition, offset: record.offset },
        });
      }),
    });
    const review = await runReviewDecisions({ kafka, sinkId: config.id, approvals: ctx.approvals, entities: ctx.entities, processor, registry: ops.registry });
    const reconciler = config.reconcile.enabled ? startReconciler({ ctx, kafka, db, queue, instanceId: common.instanceId, logger: log, isFailing: processor.isFailing, loop: loops.register('reconcile') }) : undefined;
    log.info({ type: config.type, entityTypes: config.entityTypes, writesPerSecond: config.rateLimit.writesPerSecond, reconcileMs: config.reconcile.enabled ? config.reconcile.intervalMs : null }, 'sink.started');
    return {
      async stop() {
        await reconciler?.stop();
        await queue.stop();
        await Promise.all([consumer.stop(), review.stop()]);
        await producer.disconnect();
      },
    };
  },
});
