import { Counter, Histogram, type Registry } from 'prom-client';

/** Metric names of the resolution service, in one place. */
export const RESOLUTION_METRICS = {
  decisions: 'cr_resolution_decisions_total',
  merges: 'cr_resolution_merges_total',
  unlinks: 'cr_resolution_unlinks_total',
  batchSeconds: 'cr_resolution_batch_seconds',
} as const;

export function resolutionMetrics(registry: Registry) {
  return {
    decisions: new Counter({ name: RESOLUTION_METRICS.decisions, help: 'Records resolved, by rule (new-entity, exact-identifier, name-dob, fuzzy, ...)', labelNames: ['rule'], registers: [registry] }),
    merges: new Counter({ name: RESOLUTION_METRICS.merges, help: 'Entities merged because a record tied them together by exact identifiers', registers: [registry] }),
    unlinks: new Counter({ name: RESOLUTION_METRICS.unlinks, help: 'Operator unlink requests, by outcome (applied, not_applicable)', labelNames: ['outcome'], registers: [registry] }),
    batchSeconds: new Histogram({ name: RESOLUTION_METRICS.batchSeconds, help: 'Time to resolve one batch in Postgres', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers: [registry] }),
  };
}
