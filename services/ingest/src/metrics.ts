import { Gauge, type Registry } from 'prom-client';

/** Ingest's own metric names, in one place. */
export const INGEST_METRICS = {
  retries: 'cr_ingest_retries_total',
  cycles: 'cr_ingest_cycles_total',
  records: 'cr_ingest_records_total',
  webhookDeliveries: 'cr_ingest_webhook_deliveries_total',
  lastSuccess: 'cr_source_last_success_timestamp_seconds',
  lastIngest: 'cr_source_last_ingest_timestamp_seconds',
  breakerOpen: 'cr_circuit_breaker_open',
} as const;

/** Per data source: when it last answered, when it last gave something new, whether its breaker is open. */
export interface SourceGauges {
  lastSuccess: Gauge<'data_source'>;
  lastIngest: Gauge<'data_source'>;
  breakerOpen: Gauge<'data_source'>;
}

/** Get-or-create on the service's registry (every source runtime shares them). */
export function sourceGauges(registry: Registry): SourceGauges {
  const gauge = (name: string, help: string): Gauge<'data_source'> =>
    (registry.getSingleMetric(name) as Gauge<'data_source'> | undefined) ?? new Gauge({ name, help, labelNames: ['data_source'], registers: [registry] });
  return {
    lastSuccess: gauge(INGEST_METRICS.lastSuccess, 'Unix time of the last successful poll, delivery or file of a data source'),
    lastIngest: gauge(INGEST_METRICS.lastIngest, 'Unix time of the last cycle of a data source that emitted new records (freshness from data, not polls)'),
    breakerOpen: gauge(INGEST_METRICS.breakerOpen, '1 while the circuit breaker of a data source is open (calls refused), else 0'),
  };
}

/** A data source removed or disabled: its series go, so no alert fires for a source that no longer exists. */
export function forgetSource(registry: Registry, dataSourceId: string): void {
  const g = sourceGauges(registry);
  for (const gauge of [g.lastSuccess, g.lastIngest, g.breakerOpen]) gauge.remove({ data_source: dataSourceId });
}
