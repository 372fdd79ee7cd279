import { TOPICS, type KafkaRuntime, type RunningConsumer } from '@cr/kafka';
import type { Registry } from 'prom-client';
import type { Processor } from './process.ts';
import type { ApprovalStore, DecisionSeen, TaskSeen } from './store/approvals.ts';
import type { EntityCopies } from './store/entities.ts';

/**
 * Human sign-off: the sink's own consumer of review.tasks and review.decisions
 * (group `sink-<id>-review`). It records which events an operator approved or
 * rejected, then evaluates the entity again at once; the results are produced,
 * and only then is the decision's offset committed.
 */
export function runReviewDecisions(o: { kafka: KafkaRuntime; sinkId: string; approvals: ApprovalStore; entities: EntityCopies; processor: Processor; registry: Registry }): Promise<RunningConsumer> {
  const groupId = `sink-${o.sinkId}-review`;
  return o.kafka.runConsumer<TaskSeen | DecisionSeen | null>({
    groupId,
    topics: [TOPICS.reviewTasks, TOPICS.reviewDecisions],
    stage: 'sink',
    metricsRegistry: o.registry,
    retry: { maxAttempts: Number.MAX_SAFE_INTEGER },
    handle: async (record, hctx) => {
      if (!record.value) return [];
      if (record.topic === TOPICS.reviewTasks) {
        await o.approvals.recordTask(record.value as TaskSeen);
        return [];
      }
      const entityId = await o.approvals.recordDecision(record.value as DecisionSeen);
      const state = await o.entities.get(entityId);
      if (!state) return []; // not seen yet: its state will be evaluated with the decision when it comes
      return o.processor.process(state, { trigger: 'approval', attempt: hctx.attempt, force: true, verify: false, tick: hctx.heartbeat });
    },
  });
}
