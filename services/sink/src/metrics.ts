import { Counter, type Registry } from 'prom-client';

/** Every metric the sink exports beyond the Kafka library's (lag: cr_consumer_lag{group="sink-<id>"}). */
export const SINK_METRICS = {
  results: 'cr_sink_results_total',
  writes: 'cr_sink_writes_total',
  rateLimitWait: 'cr_sink_rate_limit_wait_seconds_total',
  requeued: 'cr_sink_requeued_total',
  llmFallbacks: 'cr_sink_llm_fallbacks_total',
} as const;

/** Log event names, one place. */
export const SINK_EVENTS = {
  result: 'sink.result',
  deadLetter: 'sink.dead_letter',
  requeueFailed: 'sink.requeue.failed',
  reconcile: 'sink.reconcile.cycle',
  reconcileFailed: 'sink.reconcile.failed',
  decision: 'sink.decision',
} as const;

export interface SinkMetrics {
  results: Counter<'sink' | 'outcome' | 'trigger'>;
  writes: Counter<'sink' | 'record_type' | 'kind'>;
  rateLimitWait: Counter<'sink'>;
  requeued: Counter<'sink' | 'reason'>;
  llmFallbacks: Counter<'sink' | 'reason'>;
}

export function sinkMetrics(registry: Registry): SinkMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
  return {
    results: counter(SINK_METRICS.results, 'Sync results per outcome (written, unchanged, gated, dependency_failed, failed)', ['sink', 'outcome', 'trigger']),
    writes: counter(SINK_METRICS.writes, 'Creates and updates sent to the target', ['sink', 'record_type', 'kind']),
    rateLimitWait: counter(SINK_METRICS.rateLimitWait, 'Time spent waiting for the rate limit', ['sink']),
    requeued: counter(SINK_METRICS.requeued, 'Entities re-queued (reconciliation, approvals, dependencies)', ['sink', 'reason']),
    llmFallbacks: counter(SINK_METRICS.llmFallbacks, 'Codes left to the deterministic mapper because the LLM was down or unsure', ['sink', 'reason']),
  };
}
