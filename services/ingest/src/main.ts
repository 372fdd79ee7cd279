import { ConfigError, PayloadError, createSecretStore, describeError } from '@cr/core';
import { TOPICS } from '@cr/kafka';
import { runService, type ServiceContext } from '@cr/runtime';
import { ingestEnv, ingestSettingsSchema, type IngestSettings } from './settings.ts';
import { createIngestStore } from './store.ts';
import { createWebhookServer } from './http/webhook-server.ts';
import { parseDataSourceMessage, type DataSourceMessage } from './config-apply.ts';
import { createSourceRuntime, type SourceRuntime } from './source-runtime.ts';
import { forgetSource } from './metrics.ts';

type Ctx = ServiceContext<IngestSettings>;

/**
 * Ingest: one connector per configured data source, all feeding
 * `ingest.raw-records` through the same dedupe and resilience path.
 */
async function start(ctx: Ctx) {
  const { kafka, logger, db, config, ops } = ctx;
  const store = await createIngestStore(db);
  const producer = kafka.producer({ stage: 'ingest', metricsRegistry: ops.registry });
  await producer.connect();
  const secrets = createSecretStore({ ...(config.secretsDir ? { directory: config.secretsDir } : {}) });
  const webhooks = await createWebhookServer({ port: config.webhookPort, host: config.webhookHost, logger });
  logger.info({ webhookPort: webhooks.port() }, 'ingest.webhooks.listening');
  const running = new Map<string, SourceRuntime>();

  const configConsumer = await kafka.runConsumer({
    groupId: `ingest-config-${ctx.common.instanceId}`,
    topics: [TOPICS.connectorConfig],
    stage: 'ingest',
    fromBeginning: true,
    metricsRegistry: ops.registry,
    handle: async (record) => {
      const id = record.key ?? '';
      if (record.value === null) {
        await running.get(id)?.stop();
        running.delete(id);
        forgetSource(ops.registry, id);
        logger.info({ dataSourceId: id }, 'ingest.source.removed');
        return [];
      }
      // Validate and plan the new configuration completely before touching the running one.
      const source = parseDataSourceMessage(id, record.value as DataSourceMessage);
      let next: SourceRuntime | undefined;
      if (source.enabled) {
        try {
          next = await createSourceRuntime(source, { store, producer, secrets, webhooks, registry: ops.registry, settings: config, logger, loops: ctx.loops });
        } catch (error) {
          if (error instanceof ConfigError) throw new PayloadError(`data source ${id} refused: ${error.message}`, { cause: error });
          throw error;
        }
      }
      await running.get(id)?.stop();
      running.delete(id);
      if (next) { await next.start(); running.set(id, next); } else forgetSource(ops.registry, id);
      logger.info({ dataSourceId: id, type: source.type, enabled: source.enabled }, 'ingest.source.applied');
      return [];
    },
  });

  return {
    async stop() {
      await configConsumer.stop();
      await Promise.all([...running.values()].map((r) => r.stop().catch((error: unknown) => logger.warn({ ...describeError(error) }, 'ingest.source.stop_failed'))));
      await webhooks.close();
      await producer.disconnect();
    },
  };
}

await runService({ name: 'ingest', configSchema: ingestSettingsSchema, env: ingestEnv, start });
