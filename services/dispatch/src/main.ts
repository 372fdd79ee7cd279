import { z } from 'zod';
import { TOPICS } from '@cr/kafka';
import { runService } from '@cr/runtime';

/** Dispatch (scheduled outbound interactions) subscribes and idles until its issue lands. */
await runService({
  name: 'dispatch',
  configSchema: z.object({}).strict(),
  env: () => ({}),
  async start({ kafka, ops }) {
    const consumer = await kafka.runConsumer({
      groupId: 'dispatch',
      topics: [TOPICS.entityState],
      stage: 'dispatch',
      metricsRegistry: ops.registry,
      handle: async () => [],
    });
    return { stop: () => consumer.stop() };
  },
});
