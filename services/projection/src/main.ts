import { z } from 'zod';
import { TOPICS, type OutputMessage } from '@cr/kafka';
import { runService } from '@cr/runtime';
import { thresholdsEnv, thresholdsFromEnvSchema, type EntityLinks, type EntityState, type ResolvedEvent, type Verdict } from '@cr/world-model';
import { createProjectionStore, type StoreInput } from './store.ts';

const configSchema = z.object({
  thresholds: thresholdsFromEnvSchema,
  /** Consumer group; a different one (with a fresh DATABASE_SCHEMA) rebuilds the read model from the beginning. */
  groupId: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/).default('projection'),
  /** Records of one partition applied in one transaction. */
  batchSize: z.coerce.number().int().min(1).max(2000).default(200),
}).strict();

await runService({
  name: 'projection',
  configSchema,
  env: (env) => ({ thresholds: thresholdsEnv(env), groupId: env.PROJECTION_GROUP_ID, batchSize: env.PROJECTION_BATCH_SIZE }),
  async start({ kafka, ops, db, config, logger }) {
    const store = await createProjectionStore(db, { thresholds: config.thresholds });
    const publish = (states: EntityState[]): OutputMessage[] => states.map((s) => ({ topic: TOPICS.entityState, key: s.entityId, value: s }));
    const consumer = await kafka.runConsumer({
      groupId: config.groupId,
      topics: [TOPICS.entityEvents, TOPICS.reviewVerdicts, TOPICS.entityLinks],
      stage: 'projection',
      metricsRegistry: ops.registry,
      // A chunk of one partition at a time, in one transaction: one lock round, one read
      // and one write per table for the chunk instead of per record.
      maxBatchSize: config.batchSize,
      handleBatch: async (records) => {
        const inputs: (StoreInput | null)[] = records.map((record) => {
          if (record.topic === TOPICS.reviewVerdicts) return { kind: 'verdict', verdict: record.value as Verdict };
          if (record.topic === TOPICS.entityLinks) {
            const links = record.value as EntityLinks | null;
            const entityId = links?.entityId ?? record.key;
            return entityId ? { kind: 'links', entityId, links } : null;
          }
          return { kind: 'event', resolved: record.value as ResolvedEvent };
        });
        // Always publish the current state: if a crash came between the database
        // commit and the produce, the re-delivery publishes what was missed.
        const applied = await store.applyBatch(inputs.filter((i): i is StoreInput => i !== null));
        let next = 0;
        return inputs.map((input) => {
          if (!input) return [];
          if (input.kind === 'links') logger.info({ entityId: input.entityId, change: input.links?.change ?? 'tombstone', members: input.links?.members.length ?? 0 }, 'projection.links.applied');
          return publish(applied[next++] ?? []);
        });
      },
    });
    return { stop: () => consumer.stop() };
  },
});
