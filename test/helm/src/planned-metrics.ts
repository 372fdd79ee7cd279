/**
 * Metrics the dashboard and the alert rules already use but no service exports
 * yet: the ONE list of them. The metric-name check accepts these names and
 * nothing else beyond what the code really exports; once a service exports one,
 * the check fails until it is removed from here.
 */
export interface PlannedMetric {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly labels: readonly string[];
  readonly help: string;
}

export const PLANNED_METRICS: readonly PlannedMetric[] = [
  {
    name: 'cr_source_last_success_timestamp_seconds',
    type: 'gauge',
    labels: ['data_source'],
    help: 'Unix time of the last successful poll (or delivery) of a data source, from ingest',
  },
  {
    name: 'cr_circuit_breaker_open',
    type: 'gauge',
    labels: ['data_source'],
    help: '1 while the circuit breaker of a data source is open (calls refused), else 0, from ingest',
  },
];

export const PLANNED_METRIC_NAMES: ReadonlySet<string> = new Set(PLANNED_METRICS.map((m) => m.name));
