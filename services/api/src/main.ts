import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenVerifier } from '@cr/auth';
import { TOPICS } from '@cr/kafka';
import { runService } from '@cr/runtime';
import type { ReviewTask } from '@cr/world-model';
import { createAudit } from './audit.ts';
import { apiConfigSchema, apiEnv } from './config.ts';
import type { ApiDeps } from './deps.ts';
import { startPipelineObservability } from './observability/index.ts';
import { createEntityReads } from './read-model/entities.ts';
import { createReviewTaskReads } from './read-model/review-tasks.ts';
import { createRouter } from './router.ts';
import { allRoutes } from './routes/index.ts';

await runService({
  name: 'api',
  configSchema: apiConfigSchema,
  env: apiEnv,
  async start({ kafka, db, config, logger, ops, clock, common }) {
    const verifier = await createTokenVerifier(config.auth);
    const producer = kafka.producer({ stage: 'api', metricsRegistry: ops.registry });
    const txProducer = kafka.producer({ stage: 'api', metricsRegistry: ops.registry, transactionalId: `api-${common.instanceId}` });
    await Promise.all([producer.connect(), txProducer.connect()]);
    const tasks = await createReviewTaskReads(db);
    const audit = await createAudit(db, logger);

    // The review queue's read model, from review.tasks.
    const taskConsumer = await kafka.runConsumer({
      groupId: 'api-review-tasks',
      topics: [TOPICS.reviewTasks],
      stage: 'api',
      metricsRegistry: ops.registry,
      handle: async (record) => {
        if (record.value) await tasks.upsert(record.value as ReviewTask);
        return [];
      },
    });

    const observability = await startPipelineObservability({ kafka, db, logger, clock, registry: ops.registry, instanceId: common.instanceId, settings: { ...config.observability, heartbeatIntervalMs: common.ops.heartbeatIntervalMs } });

    const deps: ApiDeps = { config, logger, clock, entities: createEntityReads(db), tasks, producer, txProducer, pipeline: observability.view };
    const server = createServer(createRouter({ routes: allRoutes(deps), verifier, logger, audit }));
    await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
    logger.info({ port: (server.address() as AddressInfo).port }, 'api.listening');
    return {
      async stop() {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([taskConsumer.stop(), observability.stop()]);
        await Promise.all([producer.disconnect(), txProducer.disconnect()]);
      },
    };
  },
});
