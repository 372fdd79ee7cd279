import { z } from 'zod';
import { TOPICS } from '@cr/kafka';
import { runService } from '@cr/runtime';
import { BUILT_IN_RULE_SETS, type RawRecord } from '@cr/world-model';
import { unify, worldEventKey } from './unify.ts';

const configSchema = z.object({}).strict();

await runService({
  name: 'unification',
  configSchema,
  env: () => ({}),
  async start({ kafka, ops }) {
    const consumer = await kafka.runConsumer({
      groupId: 'unification',
      topics: [TOPICS.rawRecords],
      stage: 'unification',
      metricsRegistry: ops.registry,
      handle: async (record) => {
        const event = unify(record.value as RawRecord, BUILT_IN_RULE_SETS);
        return [{ topic: TOPICS.worldEvents, key: worldEventKey(event), value: event }];
      },
    });
    return { stop: () => consumer.stop() };
  },
});
