/** Ingest's own metric names, in one place. */
export const INGEST_METRICS = {
  retries: 'cr_ingest_retries_total',
  cycles: 'cr_ingest_cycles_total',
  records: 'cr_ingest_records_total',
  webhookDeliveries: 'cr_ingest_webhook_deliveries_total',
} as const;
