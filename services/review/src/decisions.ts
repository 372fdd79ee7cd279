import { deterministicId, type Logger } from '@cr/core';
import { TOPICS, type OutputMessage } from '@cr/kafka';
import { applyDecision, decidedEvents, verdictsForDecision, type ReviewDecision } from '@cr/world-model';
import type { ReviewMetrics } from './metrics.ts';
import type { ReviewStore } from './store.ts';

const verdictId = (decisionId: string, eventId: string): string => deterministicId('verdict', 'decision', decisionId, eventId);

/**
 * An operator's decision: verdicts for the events it covers (verified at
 * operator confidence, or rejected), and the task without them. Idempotent: a
 * re-delivered decision re-publishes the same verdicts and the task as it is.
 */
export async function handleDecision(decision: ReviewDecision, store: ReviewStore, metrics: ReviewMetrics, logger: Logger): Promise<OutputMessage[]> {
  const task = await store.task(decision.taskId);
  const eventIds = decidedEvents(decision, task);
  const updated = task && task.status === 'open' ? applyDecision(task, decision) : task;
  const fresh = await store.recordDecision(decision.decisionId, decision.taskId, eventIds, updated);
  const verdicts = verdictsForDecision({ ...decision, eventIds }, task, verdictId);
  const current = fresh ? updated : await store.task(decision.taskId);
  if (fresh) {
    metrics.decisions.inc({ outcome: decision.approved ? 'approved' : 'rejected' });
    logger.info({ decisionId: decision.decisionId, taskId: decision.taskId, entityId: decision.entityId, operator: decision.operator, approved: decision.approved, events: eventIds.length, known: Boolean(task) }, 'review.decision.applied');
  }
  const out: OutputMessage[] = verdicts.map((v) => ({ topic: TOPICS.reviewVerdicts, key: decision.entityId, value: v }));
  if (current) out.push({ topic: TOPICS.reviewTasks, key: current.entityId, value: current });
  return out;
}
