import { Counter, Histogram, type Registry } from 'prom-client';

/** Every metric name this library exports, in one place. */
export const METRICS = {
  consumed: 'cr_messages_consumed_total',
  produced: 'cr_messages_produced_total',
  deadLetters: 'cr_dead_letters_total',
  handleDuration: 'cr_handle_duration_seconds',
  retries: 'cr_handle_retries_total',
  consumerLag: 'cr_consumer_lag',
} as const;

export interface KafkaMetrics {
  consumed: Counter<'stage' | 'topic'>;
  produced: Counter<'stage' | 'topic'>;
  deadLetters: Counter<'stage' | 'error_class'>;
  handleDuration: Histogram<'stage'>;
  retries: Counter<'stage' | 'error_class'>;
}

/**
 * The library's metrics on `registry`. Get-or-create, so several consumers and
 * producers of one service can share the service's registry.
 */
export function kafkaMetrics(registry: Registry): KafkaMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
  const handleDuration =
    (registry.getSingleMetric(METRICS.handleDuration) as Histogram<'stage'> | undefined) ??
    new Histogram({
      name: METRICS.handleDuration,
      help: 'Time to handle one record, outputs acknowledged included',
      labelNames: ['stage'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  return {
    consumed: counter(METRICS.consumed, 'Records consumed', ['stage', 'topic']),
    produced: counter(METRICS.produced, 'Records produced and acknowledged', ['stage', 'topic']),
    deadLetters: counter(METRICS.deadLetters, 'Records sent to a dead-letter topic', ['stage', 'error_class']),
    handleDuration,
    retries: counter(METRICS.retries, 'Handler attempts retried after a retriable error', ['stage', 'error_class']),
  };
}
