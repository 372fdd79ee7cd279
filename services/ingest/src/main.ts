import { z } from 'zod';
import { describeError, PayloadError, formatIssues } from '@cr/core';
import { TOPICS, compositeKey } from '@cr/kafka';
import { runService, type ServiceContext } from '@cr/runtime';
import { dataSourceSchema, type DataSourceConfig, type RawRecord } from '@cr/world-model';
import { createIngestStore } from './store.ts';
import { pollFhirResource } from './fhir-poll.ts';

const configSchema = z.object({
  /** Consecutive failed polls after which a source is reported unhealthy. */
  unhealthyAfter: z.coerce.number().int().min(1).default(3),
}).strict();

type Ctx = ServiceContext<z.infer<typeof configSchema>>;

interface Loop { timer: NodeJS.Timeout | undefined; running: Promise<void> | undefined; consecutiveErrors: number; stopped: boolean }

async function start(ctx: Ctx) {
  const { kafka, logger, db, config, ops } = ctx;
  const store = await createIngestStore(db);
  const producer = kafka.producer({ stage: 'ingest', metricsRegistry: ops.registry });
    await producer.connect();
  const loops = new Map<string, Loop>();

  const emit = async (records: RawRecord[]): Promise<void> => {
    await producer.send(TOPICS.rawRecords, records.map((r) => ({ key: compositeKey(r.dataSourceId, r.resourceType, r.externalId), value: r })));
  };

  const stopSource = async (id: string): Promise<void> => {
    for (const [key, loop] of loops) {
      if (!key.startsWith(`${id}\u0000`)) continue;
      loop.stopped = true;
      clearTimeout(loop.timer);
      await loop.running;
      loops.delete(key);
    }
  };

  const startSource = (source: DataSourceConfig): void => {
    for (const resource of source.config.resources) {
      const loop: Loop = { timer: undefined, running: undefined, consecutiveErrors: 0, stopped: false };
      loops.set(`${source.id}\u0000${resource.type}`, loop);
      const tick = (): void => {
        loop.running = (async () => {
          const startedAt = Date.now();
          let health = { recordCount: 0, newRecordCount: 0, errorCount: 0, lastErrorClass: null as string | null, lastError: null as string | null };
          try {
            const r = await pollFhirResource(
              { dataSourceId: source.id, sourceType: source.type, baseUrl: source.config.baseUrl, resourceType: resource.type, pageSize: resource.pageSize },
              { store, emit, logger, now: () => Date.now() },
            );
            loop.consecutiveErrors = 0;
            health = { ...health, recordCount: r.fetched, newRecordCount: r.emitted };
            logger.info({ dataSourceId: source.id, resourceType: resource.type, fetched: r.fetched, emitted: r.emitted, pages: r.pages }, 'ingest.poll.done');
          } catch (error) {
            loop.consecutiveErrors++;
            const d = describeError(error);
            health = { ...health, errorCount: 1, lastErrorClass: d.errorClass, lastError: d.message };
            logger.warn({ dataSourceId: source.id, resourceType: resource.type, ...d, consecutiveErrors: loop.consecutiveErrors }, 'ingest.poll.failed');
          }
          await producer.send(TOPICS.sourceHealth, [{
            key: source.id,
            value: {
              dataSourceId: source.id, resourceType: resource.type,
              status: loop.consecutiveErrors >= config.unhealthyAfter ? 'unhealthy' : 'healthy',
              lastPollAt: startedAt, durationMs: Date.now() - startedAt, consecutiveErrors: loop.consecutiveErrors, ...health,
            },
          }]).catch((error: unknown) => logger.warn({ ...describeError(error) }, 'ingest.health.publish_failed'));
        })().finally(() => {
          if (!loop.stopped) loop.timer = setTimeout(tick, resource.intervalMs);
        });
      };
      tick();
    }
  };

  const configConsumer = await kafka.runConsumer({
    groupId: `ingest-config-${ctx.common.instanceId}`,
    topics: [TOPICS.connectorConfig],
    stage: 'ingest',
    fromBeginning: true,
    metricsRegistry: ctx.ops.registry,
    handle: async (record) => {
      const id = record.key ?? '';
      await stopSource(id);
      if (record.value === null) { logger.info({ dataSourceId: id }, 'ingest.source.removed'); return []; }
      const value = record.value as { id: string; name: string; type: string; enabled: boolean; configJson: string };
      let parsedJson: unknown;
      try { parsedJson = JSON.parse(value.configJson); } catch { throw new PayloadError(`data source ${id}: configJson is not JSON`); }
      const parsed = dataSourceSchema.safeParse({ id: value.id, name: value.name, type: value.type, enabled: value.enabled, config: parsedJson });
      if (!parsed.success) throw new PayloadError(`data source ${id} refused: ${formatIssues(parsed.error).join('; ')}`);
      if (parsed.data.enabled) startSource(parsed.data);
      logger.info({ dataSourceId: id, type: parsed.data.type, enabled: parsed.data.enabled }, 'ingest.source.applied');
      return [];
    },
  });

  return {
    async stop() {
      await configConsumer.stop();
      await Promise.all([...loops.keys()].map((k) => stopSource(k.split('\u0000')[0]!)));
      await producer.disconnect();
    },
  };
}

await runService({ name: 'ingest', configSchema, env: (env) => ({ unhealthyAfter: env.INGEST_UNHEALTHY_AFTER }), start });
