import { z } from 'zod';
import { TOPICS } from '@cr/kafka';
import { runService } from '@cr/runtime';
import type { RawRecord } from '@cr/world-model';
import { followConnectorConfig } from './config-feed.ts';
import { unificationMetrics } from './metrics.ts';
import { createRuleRegistry } from './rule-registry.ts';
import { unify, worldEventKey } from './unify.ts';

const configSchema = z.object({}).strict();

await runService({
  name: 'unification',
  configSchema,
  env: () => ({}),
  async start({ kafka, ops, logger, common }) {
    const registry = createRuleRegistry();
    const metrics = unificationMetrics(ops.registry);
    const config = await followConnectorConfig({ kafka, registry, logger, instanceId: common.instanceId, metricsRegistry: ops.registry, onApplied: () => metrics.configApplied.inc() });
    const consumer = await kafka.runConsumer<RawRecord>({
      groupId: 'unification',
      topics: [TOPICS.rawRecords],
      stage: 'unification',
      metricsRegistry: ops.registry,
      handle: async (record) => {
        const raw = record.value;
        // A record no rule can map throws a PayloadError naming why: it goes to unification.dead-letter.v1.
        const event = unify(raw, registry.ruleSetsFor(raw.dataSourceId));
        metrics.events.inc({ entity_type: event.entityType, mapping: event.mappingVersion });
        return [{ topic: TOPICS.worldEvents, key: worldEventKey(event), value: event }];
      },
    });
    return { stop: async () => { await Promise.all([consumer.stop(), config.stop()]); } };
  },
});
