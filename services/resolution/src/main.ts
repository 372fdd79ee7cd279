import { z } from 'zod';
import { TOPICS, type OutputMessage } from '@cr/kafka';
import { runService } from '@cr/runtime';
import type { WorldEvent } from '@cr/world-model';
import { createResolutionStore } from './store.ts';

await runService({
  name: 'resolution',
  configSchema: z.object({}).strict(),
  env: () => ({}),
  async start({ kafka, ops, db }) {
    const store = await createResolutionStore(db);
    const consumer = await kafka.runConsumer({
      groupId: 'resolution',
      topics: [TOPICS.worldEvents],
      stage: 'resolution',
      metricsRegistry: ops.registry,
      handle: async (record) => {
        const event = record.value as WorldEvent;
        const { entityId, resolution, links } = await store.resolve(event);
        const out: OutputMessage[] = [{ topic: TOPICS.entityEvents, key: entityId, value: { entityId, event, resolution } }];
        if (links) out.push({ topic: TOPICS.entityLinks, key: entityId, value: links });
        return out;
      },
    });
    return { stop: () => consumer.stop() };
  },
});
