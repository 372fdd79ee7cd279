import type { ResolvedEvent, ReviewEvidence, ReviewTask, Verdict } from '../types.ts';
import type { Judgement } from './judge.ts';

/** Deterministic ids, passed in so this module stays pure. */
export interface ReviewIds {
  verdictId(eventId: string, judge: string, outcome: string): string;
  taskId(entityId: string, firstEventId: string): string;
}

export interface ReviewRound {
  entityId: string;
  /** Every event of the entity that was waiting, with what the judge said. */
  judged: ReadonlyArray<{ resolved: ResolvedEvent; judgement: Judgement }>;
  /** The entity's open human task, if it has one. */
  openTask: ReviewTask | null;
  now: number;
}

export interface ReviewPlan {
  /** Confidence upgrades for verified events (review.verdicts). */
  verdicts: Verdict[];
  /** The entity's one open task, created or grown; null when nothing needs a human (review.tasks). */
  task: ReviewTask | null;
}

function evidenceOf(resolved: ResolvedEvent, judgement: Judgement): ReviewEvidence {
  const e = resolved.event;
  return {
    eventId: e.eventId, origin: String(e.origin), confidence: e.confidence, observedAt: e.observedAt,
    dataSourceId: e.source.dataSourceId, category: e.category ?? null, attributes: { ...e.attributes },
    sourceMaterial: e.sourceMaterial ?? null, findings: judgement.findings,
  };
}

/**
 * One review round of one entity: every event that waited is judged together,
 * so a burst of events on an entity is one review. Verified events get verdicts;
 * the others join the entity's single open task (created when it has none), so
 * the human queue holds at most one open task per entity. Pure.
 */
export function planReview(round: ReviewRound, ids: ReviewIds): ReviewPlan {
  const verdicts: Verdict[] = [];
  const failed: ReviewEvidence[] = [];
  const reasons: string[] = [];
  let judge: string | null = null;
  for (const { resolved, judgement } of round.judged) {
    if (judgement.outcome === 'verified') {
      verdicts.push({
        verdictId: ids.verdictId(judgement.eventId, judgement.judge, judgement.outcome), entityId: round.entityId, eventId: judgement.eventId,
        outcome: 'verified', confidence: Math.max(judgement.confidence, resolved.event.confidence), judge: judgement.judge, reason: judgement.reason, decidedAt: round.now,
      });
    } else {
      failed.push(evidenceOf(resolved, judgement));
      reasons.push(`${judgement.outcome}: ${judgement.reason}`);
      judge = judgement.judge;
    }
  }
  if (failed.length === 0) return { verdicts, task: null };
  const open = round.openTask;
  const known = new Set(open?.eventIds ?? []);
  const added = failed.filter((f) => !known.has(f.eventId));
  if (open && added.length === 0) return { verdicts, task: null };
  const evidence = [...(open?.evidence ?? []), ...added];
  const eventIds = [...(open?.eventIds ?? []), ...added.map((a) => a.eventId)];
  const first = round.judged.find((j) => j.judgement.outcome !== 'verified')!.resolved;
  const task: ReviewTask = {
    taskId: open?.taskId ?? ids.taskId(round.entityId, first.event.eventId),
    entityId: round.entityId,
    entityType: open?.entityType ?? first.event.entityType,
    eventIds,
    reason: `${eventIds.length} event(s) need a human decision; last round: ${[...new Set(reasons)].join('; ')}`.slice(0, 500),
    status: 'open',
    createdAt: open?.createdAt ?? round.now,
    evidence,
    judge,
    updatedAt: round.now,
    decidedBy: null,
  };
  return { verdicts, task };
}
