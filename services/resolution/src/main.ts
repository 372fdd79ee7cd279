import { z } from 'zod';
import { ConflictError, PayloadError } from '@cr/core';
import { TOPICS, type OutputMessage } from '@cr/kafka';
import { runService } from '@cr/runtime';
import { asUnlinkRequest, type EntityLinks, type WorldEvent } from '@cr/world-model';
import { resolutionMetrics } from './metrics.ts';
import { createResolutionStore, UnlinkNotApplicable, type Outputs } from './store.ts';

const configSchema = z.object({
  /** Match probability at or above which the fuzzy tier links (high: a false merge is the costly error). */
  linkProbability: z.coerce.number().gt(0.5).lt(1).default(0.995),
  /** Events resolved per database transaction. */
  batchSize: z.coerce.number().int().min(1).max(5000).default(500),
}).strict();

function messages(o: Outputs): OutputMessage[] {
  return [
    ...o.resolved.map((r) => ({ topic: TOPICS.entityEvents, key: r.entityId, value: r })),
    ...o.links.map((l) => ({ topic: TOPICS.entityLinks, key: l.entityId, value: l })),
  ];
}

await runService({
  name: 'resolution',
  configSchema,
  env: (env) => ({ linkProbability: env.RESOLUTION_LINK_PROBABILITY, batchSize: env.RESOLUTION_BATCH_SIZE }),
  async start({ kafka, ops, db, config, logger }) {
    const store = await createResolutionStore(db, { decide: { linkProbability: config.linkProbability } });
    const metrics = resolutionMetrics(ops.registry);

    const events = await kafka.runConsumer<WorldEvent | null>({
      groupId: 'resolution',
      topics: [TOPICS.worldEvents],
      stage: 'resolution',
      metricsRegistry: ops.registry,
      maxBatchSize: config.batchSize,
      // One partition at a time: every batch takes its entity type's lock anyway, so
      // concurrent partitions only held transactions open waiting for it (measured with
      // `make bench`: paced p99 of this stage 3.6 s -> 2.7 s, end to end 3.8 s -> 3.0 s).
      partitionsConsumedConcurrently: 1,
      handleBatch: async (records) => {
        const live = records.filter((r) => r.value !== null);
        const end = metrics.batchSeconds.startTimer();
        const { outputs, stats } = await store.resolveBatch(live.map((r) => r.value as WorldEvent));
        end();
        metrics.merges.inc(stats.merges);
        if (stats.newEntities) metrics.decisions.inc({ rule: 'new-entity' }, stats.newEntities);
        for (const [rule, n] of Object.entries(stats.links)) metrics.decisions.inc({ rule }, n);
        const byRecord = new Map(live.map((r, i) => [r, outputs[i]!]));
        logger.debug({ records: records.length, newEntities: stats.newEntities, merges: stats.merges }, 'resolution.batch');
        return records.map((r) => { const o = byRecord.get(r); return o ? messages(o) : []; });
      },
    });

    const requests = await kafka.runConsumer<EntityLinks | null>({
      groupId: 'resolution-requests',
      topics: [TOPICS.entityLinkRequests],
      stage: 'resolution',
      metricsRegistry: ops.registry,
      handle: async (record) => {
        const req = asUnlinkRequest(record.key, record.value);
        if (!req) {
          if (record.value === null) return [];
          throw new PayloadError(`entity link request ${record.key ?? '(no key)'}: not an operator unlink (change ${record.value.change}, by ${record.value.changedBy ?? 'nobody'})`);
        }
        try {
          const out = await store.unlink(req);
          metrics.unlinks.inc({ outcome: 'applied' });
          logger.info({ requestId: req.requestId, entityId: req.entityId, records: req.sourceKeys.length, entities: out.links.map((l) => l.entityId) }, 'resolution.unlink.applied');
          return messages(out);
        } catch (error) {
          if (!(error instanceof UnlinkNotApplicable)) throw error;
          // Retried: while topics are replayed the records may not be resolved yet; then dead-lettered with the reason.
          metrics.unlinks.inc({ outcome: 'not_applicable' });
          throw new ConflictError(error.message);
        }
      },
    });
    return { stop: async () => { await Promise.all([events.stop(), requests.stop()]); } };
  },
});
