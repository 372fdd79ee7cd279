import { Counter, Gauge, type Registry } from 'prom-client';

/** Every metric dispatch exports beyond the Kafka library's. */
export const DISPATCH_METRICS = {
  taskEvents: 'cr_dispatch_task_events_total',
  attempts: 'cr_dispatch_attempts_total',
  inFlight: 'cr_dispatch_in_flight',
  engineAvailable: 'cr_dispatch_engine_available',
  surfaces: 'cr_dispatch_surface_requests_total',
  gapScans: 'cr_dispatch_gap_scans_total',
  outboxSent: 'cr_dispatch_outbox_sent_total',
} as const;

/** Log event names, one place. */
export const DISPATCH_EVENTS = {
  claimed: 'dispatch.task.claimed',
  started: 'dispatch.interaction.started',
  attemptFailed: 'dispatch.attempt.failed',
  uncertain: 'dispatch.attempt.uncertain',
  finished: 'dispatch.interaction.finished',
  capacityUnknown: 'dispatch.engine.capacity_unknown',
  gapScan: 'dispatch.gap.scan',
  campaignSwept: 'dispatch.campaign.swept',
  adopted: 'dispatch.task.adopted',
  disabled: 'dispatch.engine.not_configured',
} as const;

export interface DispatchMetrics {
  taskEvents: Counter<'change'>;
  attempts: Counter<'result'>;
  inFlight: Gauge;
  engineAvailable: Gauge;
  surfaces: Counter<'workspace'>;
  gapScans: Counter<'workspace'>;
  outboxSent: Counter<'topic'>;
}

export function dispatchMetrics(registry: Registry): DispatchMetrics {
  return {
    taskEvents: new Counter({ name: DISPATCH_METRICS.taskEvents, help: 'Changes to outbound tasks, by kind (task_scheduled, attempt_failed, task_completed, ...)', labelNames: ['change'], registers: [registry] }),
    attempts: new Counter({ name: DISPATCH_METRICS.attempts, help: 'Interaction starts, by result (started, failed, throttled, uncertain)', labelNames: ['result'], registers: [registry] }),
    inFlight: new Gauge({ name: DISPATCH_METRICS.inFlight, help: 'Interactions dispatching or in progress, all instances', registers: [registry] }),
    engineAvailable: new Gauge({ name: DISPATCH_METRICS.engineAvailable, help: 'Free capacity the agent engine last reported', registers: [registry] }),
    surfaces: new Counter({ name: DISPATCH_METRICS.surfaces, help: 'Surface requests emitted by the gap scanner', labelNames: ['workspace'], registers: [registry] }),
    gapScans: new Counter({ name: DISPATCH_METRICS.gapScans, help: 'Gap scans run (one query each)', labelNames: ['workspace'], registers: [registry] }),
    outboxSent: new Counter({ name: DISPATCH_METRICS.outboxSent, help: 'Outbox messages acknowledged by Kafka', labelNames: ['topic'], registers: [registry] }),
  };
}
