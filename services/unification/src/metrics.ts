import { Counter, type Registry } from 'prom-client';

export const UNIFICATION_METRICS = {
  events: 'cr_unification_events_total',
  configApplied: 'cr_unification_config_applied_total',
} as const;

export function unificationMetrics(registry: Registry) {
  return {
    events: new Counter({ name: UNIFICATION_METRICS.events, help: 'World events mapped, by entity type and mapping version (rule set @ version)', labelNames: ['entity_type', 'mapping'], registers: [registry] }),
    configApplied: new Counter({ name: UNIFICATION_METRICS.configApplied, help: 'Data-source mapping configurations applied', registers: [registry] }),
  };
}
