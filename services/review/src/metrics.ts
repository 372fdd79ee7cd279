import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metric names of the review service, in one place. */
export const REVIEW_METRICS = {
  queued: 'cr_review_events_queued_total',
  judged: 'cr_review_events_judged_total',
  rounds: 'cr_review_rounds_total',
  latency: 'cr_review_latency_seconds',
  tasks: 'cr_review_tasks_total',
  decisions: 'cr_review_decisions_total',
  safetyNet: 'cr_review_safety_net_requeued_total',
  judgeFallbacks: 'cr_review_judge_fallbacks_total',
  breakerOpen: 'cr_review_llm_breaker_open',
} as const;

export function reviewMetrics(registry: Registry) {
  return {
    queued: new Counter({ name: REVIEW_METRICS.queued, help: 'Sub-threshold events queued for review', registers: [registry] }),
    judged: new Counter({ name: REVIEW_METRICS.judged, help: 'Events judged, by outcome and judge', labelNames: ['outcome', 'judge'], registers: [registry] }),
    rounds: new Counter({ name: REVIEW_METRICS.rounds, help: 'Review rounds (one per entity per round, however many events it had)', registers: [registry] }),
    latency: new Histogram({ name: REVIEW_METRICS.latency, help: 'From an event reaching review to its verdict or task being acknowledged', buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 300], registers: [registry] }),
    tasks: new Counter({ name: REVIEW_METRICS.tasks, help: 'Human review tasks published, by change (created or grown)', labelNames: ['change'], registers: [registry] }),
    decisions: new Counter({ name: REVIEW_METRICS.decisions, help: 'Operator decisions applied, by outcome', labelNames: ['outcome'], registers: [registry] }),
    safetyNet: new Counter({ name: REVIEW_METRICS.safetyNet, help: 'Entities the safety-net scan re-queued because the real-time path missed them', registers: [registry] }),
    judgeFallbacks: new Counter({ name: REVIEW_METRICS.judgeFallbacks, help: 'LLM judge calls answered by the deterministic judge instead', registers: [registry] }),
    breakerOpen: new Gauge({ name: REVIEW_METRICS.breakerOpen, help: '1 while the LLM judge circuit breaker is open', registers: [registry] }),
  };
}

export type ReviewMetrics = ReturnType<typeof reviewMetrics>;
