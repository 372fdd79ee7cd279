import { z } from 'zod';
import { TOPICS } from '@cr/kafka';
import { runService } from '@cr/runtime';
import type { ResolvedEvent, Verdict } from '@cr/world-model';
import { createProjectionStore } from './store.ts';

await runService({
  name: 'projection',
  configSchema: z.object({}).strict(),
  env: () => ({}),
  async start({ kafka, ops, db }) {
    const store = await createProjectionStore(db);
    const consumer = await kafka.runConsumer({
      groupId: 'projection',
      topics: [TOPICS.entityEvents, TOPICS.reviewVerdicts],
      stage: 'projection',
      metricsRegistry: ops.registry,
      handle: async (record) => {
        const state = record.topic === TOPICS.reviewVerdicts
          ? await store.apply((record.value as Verdict).entityId, `verdict:${(record.value as Verdict).verdictId}`, { kind: 'verdict', verdict: record.value as Verdict })
          : await store.apply((record.value as ResolvedEvent).entityId, `event:${(record.value as ResolvedEvent).event.eventId}`, { kind: 'event', resolved: record.value as ResolvedEvent });
        // Always publish the current state: if a crash came between the database
        // commit and the produce, the re-delivery publishes what was missed.
        return [{ topic: TOPICS.entityState, key: state.entityId, value: state }];
      },
    });
    return { stop: () => consumer.stop() };
  },
});
