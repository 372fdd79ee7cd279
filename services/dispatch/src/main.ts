import { PipelineError, TransportError, createSecretStore } from '@cr/core';
import { TOPICS } from '@cr/kafka';
import { runService } from '@cr/runtime';
import { OUTBOUND_TASK, taskFromState, type EntityState } from '@cr/world-model';
import { createCampaignSweep } from './campaign-sweep.ts';
import { dispatchConfigSchema, dispatchEnv } from './config.ts';
import { createDispatcher } from './dispatcher.ts';
import { createEngineClient } from './engine/client.ts';
import { createGapScan } from './gap-scanner.ts';
import { every, type Loop } from './loop.ts';
import { DISPATCH_EVENTS, dispatchMetrics } from './metrics.ts';
import { createOutbox } from './outbox.ts';
import { createPlanner } from './planner.ts';
import { createReadModel } from './read-model.ts';
import { migrateDispatch } from './tables.ts';
import { createTaskStore } from './task-store.ts';

/**
 * Dispatch: outbound interactions (reminders, follow-ups, campaigns, manual
 * requests) through the agent engine, and the gap scanner. Reads entity.state
 * into its own tables; writes every change to a task as a world event and every
 * gap as a surface request, through an outbox committed with the change.
 */
await runService({
  name: 'dispatch',
  configSchema: dispatchConfigSchema,
  env: dispatchEnv,
  async start({ kafka, db, config, logger, ops, clock, common, loops: heartbeatLoops }) {
    await migrateDispatch(db);
    const metrics = dispatchMetrics(ops.registry);
    const producer = kafka.producer({ stage: 'dispatch', metricsRegistry: ops.registry });
    await producer.connect();
    const outbox = createOutbox({ db, producer, logger, metrics, intervalMs: config.outboxMs, loop: heartbeatLoops.register('outbox') });
    const tasks = createTaskStore({
      db, clock, retry: config.retry, instanceId: common.instanceId, claimTimeoutMs: config.claimTimeoutMs, pollMs: config.pollMs,
      logger, metrics, onEvents: () => outbox.kick(),
    });
    const workspaces = config.workspaces;
    const planner = createPlanner({ workspaces, tasks });
    const readModel = createReadModel(db, planner.entityTypes);

    const consumer = await kafka.runConsumer({
      groupId: 'dispatch',
      topics: [TOPICS.entityState],
      stage: 'dispatch',
      metricsRegistry: ops.registry,
      handle: async (record) => {
        try {
          const state = record.value as EntityState | null;
          if (state === null) {
            const gone = record.key ? await readModel.remove(record.key) : null;
            if (gone) await planner.onEntity(gone, `entity.state:${gone.entityId}@deleted`);
          } else if (state.entityType === OUTBOUND_TASK) {
            const task = taskFromState(state);
            if (task) await tasks.adopt(task, state.entityId);
          } else {
            const entity = await readModel.apply(state);
            if (entity) await planner.onEntity(entity, `entity.state:${state.entityId}@${state.version}`);
          }
          return [];
        } catch (err) {
          // The database is the usual cause: retried with backoff, dead-lettered only when it persists.
          throw err instanceof PipelineError ? err : new TransportError('dispatch could not apply an entity state', { cause: err });
        }
      },
    });

    const loops: Loop[] = [outbox];
    loops.push(every('campaigns', 60_000, createCampaignSweep({ db, workspaces, readModel, planner, clock, logger }), logger, heartbeatLoops.register('campaigns')));
    for (const workspace of workspaces.filter((w) => w.gapScanner.enabled)) {
      const scan = createGapScan({ db, workspace, clock, logger, metrics });
      loops.push(every(`gaps:${workspace.id}`, workspace.gapScanner.interval, async () => { await scan(); outbox.kick(); }, logger, heartbeatLoops.register(`gaps:${workspace.id}`)));
    }
    if (config.engine.url) {
      const token = config.engine.tokenRef
        ? await createSecretStore({ ...(process.env.SECRETS_DIR ? { directory: process.env.SECRETS_DIR } : {}) }).get(config.engine.tokenRef)
        : undefined;
      const engine = createEngineClient({ url: config.engine.url, token, timeoutMs: config.engine.timeoutMs });
      const dispatcher = createDispatcher({
        db, engine, tasks, readModel, clock, logger, metrics, concurrency: config.concurrency, batchSize: config.batchSize,
        retry: config.retry, claimTimeoutMs: config.claimTimeoutMs, pollMs: config.pollMs, retryOutcomes: config.engine.retryOutcomes,
        onEvents: () => outbox.kick(),
      });
      loops.push(every('dispatch', config.tickMs, () => dispatcher.tick(), logger, heartbeatLoops.register('dispatcher')));
    } else {
      logger.warn(DISPATCH_EVENTS.disabled);
    }
    logger.info({ workspaces: workspaces.length, gapScanners: workspaces.filter((w) => w.gapScanner.enabled).length, engine: Boolean(config.engine.url), concurrency: config.concurrency }, 'dispatch.started');

    return {
      async stop() {
        // Loops first (a start in flight finishes and is recorded), then the consumer, then what the outbox still holds.
        await Promise.all(loops.filter((l) => l !== outbox).map((l) => l.stop()));
        await consumer.stop();
        await outbox.stop();
        await outbox.flush();
        await producer.disconnect();
      },
    };
  },
});
