import { z } from 'zod';
import { TOPICS, type OutputMessage } from '@cr/kafka';
import { runService } from '@cr/runtime';
import { thresholdsEnv, thresholdsFromEnvSchema, type EntityLinks, type EntityState, type ResolvedEvent, type Verdict } from '@cr/world-model';
import { createProjectionStore } from './store.ts';

const configSchema = z.object({
  thresholds: thresholdsFromEnvSchema,
  /** Consumer group; a different one (with a fresh DATABASE_SCHEMA) rebuilds the read model from the beginning. */
  groupId: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/).default('projection'),
}).strict();

await runService({
  name: 'projection',
  configSchema,
  env: (env) => ({ thresholds: thresholdsEnv(env), groupId: env.PROJECTION_GROUP_ID }),
  async start({ kafka, ops, db, config, logger }) {
    const store = await createProjectionStore(db, { thresholds: config.thresholds });
    const publish = (states: EntityState[]): OutputMessage[] => states.map((s) => ({ topic: TOPICS.entityState, key: s.entityId, value: s }));
    const consumer = await kafka.runConsumer({
      groupId: config.groupId,
      topics: [TOPICS.entityEvents, TOPICS.reviewVerdicts, TOPICS.entityLinks],
      stage: 'projection',
      metricsRegistry: ops.registry,
      handle: async (record) => {
        // Always publish the current state: if a crash came between the database
        // commit and the produce, the re-delivery publishes what was missed.
        if (record.topic === TOPICS.reviewVerdicts) return publish(await store.applyVerdict(record.value as Verdict));
        if (record.topic === TOPICS.entityLinks) {
          const links = record.value as EntityLinks | null;
          const entityId = links?.entityId ?? record.key;
          if (!entityId) return [];
          const states = await store.applyLinks(entityId, links);
          logger.info({ entityId, change: links?.change ?? 'tombstone', members: links?.members.length ?? 0 }, 'projection.links.applied');
          return publish(states);
        }
        return publish(await store.applyEvent(record.value as ResolvedEvent));
      },
    });
    return { stop: () => consumer.stop() };
  },
});
