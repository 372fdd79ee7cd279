import { describeError, type Clock, type Logger } from '@cr/core';
import { TOPICS, type KafkaClient, type RunningConsumer } from '@cr/kafka';
import type { Db } from '@cr/runtime';
import type { OpsServer } from '@cr/core';
import { createLiveView, type Heartbeat } from './live.ts';
import { createObservabilityReads } from './reads.ts';
import { createObservabilityTables } from './tables.ts';
import { createPipelineView, type PipelineView } from './view.ts';
import { createObservabilityWriter, OBSERVED_TOPICS } from './writer.ts';

export interface ObservabilitySettings {
  /** How often every service beats (HEARTBEAT_INTERVAL_MS, shared by all); a loop silent 3 intervals is stale. */
  heartbeatIntervalMs: number;
  liveTimeoutMs: number;
  liveCacheMs: number;
  sinkLagThreshold: number;
  pruneIntervalMs: number;
}

export interface PipelineObservability {
  view: PipelineView;
  stop(): Promise<void>;
}

/** Consumer group filling the observability tables (shared by every api instance). */
export const OBSERVABILITY_GROUP = 'api-observability';
/** Heartbeats are live state, held in memory: each instance reads them all, from the end. */
export const heartbeatGroup = (instanceId: string): string => `api-heartbeats-${instanceId}`;

/**
 * Starts the api's observability: the tables and their consumer, the heartbeat
 * consumer, pruning, and the view the /v1/pipeline routes answer from.
 */
export async function startPipelineObservability(o: {
  kafka: KafkaClient; db: Db; logger: Logger; clock: Clock; registry: OpsServer['registry']; instanceId: string; settings: ObservabilitySettings;
}): Promise<PipelineObservability> {
  const log = o.logger.child({ component: 'observability' });
  const startedAt = o.clock.now().getTime();
  await createObservabilityTables(o.db);
  const writer = createObservabilityWriter(o.db);
  const reads = createObservabilityReads(o.db);
  const live = createLiveView({
    admin: o.kafka.admin, clock: o.clock, logger: o.logger, heartbeatIntervalMs: o.settings.heartbeatIntervalMs,
    timeoutMs: o.settings.liveTimeoutMs, cacheMs: o.settings.liveCacheMs,
  });

  const consumers: RunningConsumer[] = [];
  consumers.push(await o.kafka.runConsumer({
    groupId: OBSERVABILITY_GROUP,
    topics: OBSERVED_TOPICS,
    stage: 'api',
    metricsRegistry: o.registry,
    handleBatch: async (records) => {
      await writer.applyBatch(records);
      return records.map(() => []);
    },
  }));
  const hbGroup = heartbeatGroup(o.instanceId);
  consumers.push(await o.kafka.runConsumer<Heartbeat | null>({
    groupId: hbGroup,
    topics: [TOPICS.heartbeats],
    stage: 'api',
    metricsRegistry: o.registry,
    fromBeginning: false,
    handle: (record) => {
      if (record.value) live.beat(record.value);
      return [];
    },
  }));

  const prune = (): void => {
    writer.prune(o.clock.now().getTime()).catch((error: unknown) => log.warn({ ...describeError(error) }, 'observability.prune_failed'));
  };
  prune();
  const pruneTimer = setInterval(prune, o.settings.pruneIntervalMs);
  pruneTimer.unref();

  const view = createPipelineView({
    reads, live, clock: o.clock, startedAt, heartbeatIntervalMs: o.settings.heartbeatIntervalMs, sinkLagThreshold: o.settings.sinkLagThreshold,
  });
  return {
    view,
    async stop() {
      clearInterval(pruneTimer);
      await Promise.all(consumers.map((c) => c.stop()));
      // The per-instance group is of no use once this instance is gone.
      await o.kafka.admin.deleteGroups([hbGroup]).catch((error: unknown) => log.debug({ ...describeError(error) }, 'observability.heartbeat_group_not_deleted'));
    },
  };
}
