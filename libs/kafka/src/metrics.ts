import { Counter, Histogram, type Registry } from 'prom-client';

/** Every metric name this library exports, in one place. */
export const METRICS = {
  consumed: 'cr_messages_consumed_total',
  produced: 'cr_messages_produced_total',
  deadLetters: 'cr_dead_letters_total',
  handleDuration: 'cr_handle_duration_seconds',
  retries: 'cr_handle_retries_total',
  consumerLag: 'cr_consumer_lag',
  stageLatency: 'cr_stage_latency_seconds',
  pipelineLatency: 'cr_pipeline_latency_seconds',
} as const;

/** 5 ms to 10 minutes: a hot path in milliseconds, a backlog or a retried target in minutes. */
export const LATENCY_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export interface KafkaMetrics {
  consumed: Counter<'stage' | 'topic'>;
  produced: Counter<'stage' | 'topic'>;
  deadLetters: Counter<'stage' | 'error_class'>;
  handleDuration: Histogram<'stage'>;
  retries: Counter<'stage' | 'error_class'>;
  /** Input's broker timestamp to its outputs acknowledged and offset committed. */
  stageLatency: Histogram<'stage'>;
  /** Input's `cr-sensed-at` header to the same moment: end to end, up to and including the stage. */
  pipelineLatency: Histogram<'stage'>;
}

/**
 * The library's metrics on `registry`. Get-or-create, so several consumers and
 * producers of one service can share the service's registry.
 */
export function kafkaMetrics(registry: Registry): KafkaMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
  const histogram = (name: string, help: string, buckets: readonly number[]): Histogram<'stage'> =>
    (registry.getSingleMetric(name) as Histogram<'stage'> | undefined) ??
    new Histogram({ name, help, labelNames: ['stage'], buckets: [...buckets], registers: [registry] });
  const handleDuration = histogram(METRICS.handleDuration, 'Time to handle one record, outputs acknowledged included',
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
  return {
    consumed: counter(METRICS.consumed, 'Records consumed', ['stage', 'topic']),
    produced: counter(METRICS.produced, 'Records produced and acknowledged', ['stage', 'topic']),
    deadLetters: counter(METRICS.deadLetters, 'Records sent to a dead-letter topic', ['stage', 'error_class']),
    handleDuration,
    retries: counter(METRICS.retries, 'Handler attempts retried after a retriable error', ['stage', 'error_class']),
    stageLatency: histogram(METRICS.stageLatency, 'From a record\'s broker timestamp until its outputs are acknowledged and its offset committed (queue wait, handling, produce)', LATENCY_BUCKETS),
    pipelineLatency: histogram(METRICS.pipelineLatency, 'From the change being sensed at a source (cr-sensed-at header) until this stage\'s outputs for it are acknowledged', LATENCY_BUCKETS),
  };
}
