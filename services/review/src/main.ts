import { z } from 'zod';
import { deterministicId } from '@cr/core';
import { TOPICS } from '@cr/kafka';
import { runService } from '@cr/runtime';
import { DEFAULT_VERIFIED_THRESHOLD, routeForReview, type ResolvedEvent, type ReviewTask } from '@cr/world-model';

const configSchema = z.object({
  threshold: z.coerce.number().min(0).max(1).default(DEFAULT_VERIFIED_THRESHOLD),
}).strict();

await runService({
  name: 'review',
  configSchema,
  env: (env) => ({ threshold: env.REVIEW_THRESHOLD }),
  async start({ kafka, ops, config, logger }) {
    const consumer = await kafka.runConsumer({
      groupId: 'review',
      topics: [TOPICS.entityEvents],
      stage: 'review',
      metricsRegistry: ops.registry,
      handle: async (record) => {
        const resolved = record.value as ResolvedEvent;
        const route = routeForReview(resolved, config.threshold);
        if (route.route === 'pass') return [];
        // One task per entity and event: a re-delivered event lands on the same task id.
        const task: ReviewTask = {
          taskId: deterministicId('review-task', resolved.entityId, resolved.event.eventId),
          entityId: resolved.entityId, entityType: resolved.event.entityType, eventIds: [resolved.event.eventId],
          reason: route.reason, status: 'open', createdAt: resolved.event.recordedAt,
        };
        logger.info({ taskId: task.taskId, entityId: task.entityId }, 'review.task.queued');
        return [{ topic: TOPICS.reviewTasks, key: resolved.entityId, value: task }];
      },
    });
    return { stop: () => consumer.stop() };
  },
});
