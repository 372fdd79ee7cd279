import { describeError, type Logger } from '@cr/core';
import { TOPICS, type Producer } from '@cr/kafka';
import { evolveSourceHealth, initialSourceHealth, type SourceHealthState } from '@cr/world-model';
import type { Registry } from 'prom-client';
import { sourceGauges } from '../metrics.ts';

export interface CycleReport {
  resourceType: string;
  startedAt: number;
  durationMs: number;
  fetched: number;
  emitted: number;
  /** `full` | `incremental` | `file` | `delivery` | `export` ... */
  cycle?: string;
  /** Short, payload-free: e.g. `scope not granted: system/Observation.read`, `progress 40%`. */
  detail?: string;
  error?: unknown;
}

/** Publishes one SourceHealth record per cycle; keeps the consecutive-error state per resource. */
export interface HealthPublisher {
  report(r: CycleReport): Promise<SourceHealthState>;
}

export function createHealthPublisher(o: {
  producer: Producer; logger: Logger; dataSourceId: string; connectorType: string; unhealthyAfter: number; registry: Registry; now: () => number;
}): HealthPublisher {
  const states = new Map<string, SourceHealthState>();
  const gauges = sourceGauges(o.registry);
  const source = { data_source: o.dataSourceId };
  return {
    async report(r) {
      const d = r.error === undefined ? undefined : describeError(r.error);
      if (!d) {
        const at = o.now() / 1000;
        gauges.lastSuccess.set(source, at);
        if (r.emitted > 0) gauges.lastIngest.set(source, at);
      }
      const state = evolveSourceHealth(states.get(r.resourceType) ?? initialSourceHealth(), d ? { ok: false, errorClass: d.errorClass } : { ok: true }, o.unhealthyAfter);
      const before = states.get(r.resourceType)?.status;
      states.set(r.resourceType, state);
      if (before && before !== state.status) o.logger.warn({ dataSourceId: o.dataSourceId, resourceType: r.resourceType, status: state.status, consecutiveErrors: state.consecutiveErrors }, 'ingest.source.health_changed');
      await o.producer.send(TOPICS.sourceHealth, [{
        key: o.dataSourceId,
        value: {
          dataSourceId: o.dataSourceId, resourceType: r.resourceType, status: state.status,
          lastPollAt: r.startedAt, durationMs: r.durationMs, recordCount: r.fetched, newRecordCount: r.emitted,
          errorCount: d ? 1 : 0, consecutiveErrors: state.consecutiveErrors,
          lastErrorClass: d?.errorClass ?? null, lastError: d?.message ?? null,
          connectorType: o.connectorType, cycle: r.cycle ?? null, detail: r.detail ?? null,
        },
      }]).catch((error: unknown) => o.logger.warn({ dataSourceId: o.dataSourceId, ...describeError(error) }, 'ingest.health.publish_failed'));
      return state;
    },
  };
}
