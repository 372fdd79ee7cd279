import type { ReviewTask, Verdict } from '../types.ts';
import { OPERATOR_CONFIDENCE } from './judge.ts';

/** An operator's decision on a review task (review.decisions). */
export interface ReviewDecision {
  decisionId: string;
  taskId: string;
  entityId: string;
  approved: boolean;
  /** Who decided: the token subject of the operator. */
  operator: string;
  reason: string | null;
  decidedAt: number;
  /** The events decided on; empty means every event of the task. */
  eventIds: string[];
  entityType: string | null;
}

/** The events a decision covers: the ones it names, else every event still open on the task. */
export function decidedEvents(decision: ReviewDecision, task: ReviewTask | null): string[] {
  if (decision.eventIds?.length) return [...new Set(decision.eventIds)];
  return task?.eventIds ?? [];
}

/**
 * An approval verifies each event at operator confidence; a rejection rejects
 * it (the projection then drops its values). Verdicts name the operator.
 */
export function verdictsForDecision(decision: ReviewDecision, task: ReviewTask | null, verdictId: (decisionId: string, eventId: string) => string): Verdict[] {
  return decidedEvents(decision, task).map((eventId) => ({
    verdictId: verdictId(decision.decisionId, eventId), entityId: decision.entityId, eventId,
    outcome: decision.approved ? 'verified' : 'rejected',
    confidence: decision.approved ? OPERATOR_CONFIDENCE : 0,
    judge: `operator:${decision.operator}`, reason: decision.reason, decidedAt: decision.decidedAt,
  }));
}

/**
 * The task after a decision: the decided events leave it; with none left it is
 * closed as approved or rejected, else it stays open with the rest.
 */
export function applyDecision(task: ReviewTask, decision: ReviewDecision): ReviewTask {
  const decided = new Set(decidedEvents(decision, task));
  const rest = task.eventIds.filter((id) => !decided.has(id));
  if (rest.length > 0) {
    return { ...task, eventIds: rest, evidence: (task.evidence ?? []).filter((e) => !decided.has(e.eventId)), updatedAt: decision.decidedAt };
  }
  return { ...task, status: decision.approved ? 'approved' : 'rejected', updatedAt: decision.decidedAt, decidedBy: decision.operator };
}
