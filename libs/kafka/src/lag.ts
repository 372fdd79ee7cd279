import { Gauge, type Registry } from 'prom-client';
import { describeError, type Logger } from '@cr/core';
import type { Admin } from './admin.ts';
import { METRICS } from './metrics.ts';

export interface GroupTopics {
  groupId: string;
  topics: readonly string[];
}

export interface LagMonitorOptions {
  admin: Pick<Admin, 'committedOffsets' | 'endOffsets'>;
  /** The groups to watch, asked again on every tick (consumers come and go). */
  groups: () => readonly GroupTopics[];
  registry: Registry;
  logger: Logger;
  intervalMs?: number;
}

export interface LagMonitor {
  /** Measures once now (also what each tick does). */
  measure(): Promise<void>;
  stop(): void;
}

/** Lag of one partition: end offset minus committed offset; nothing committed counts from 0. */
export function partitionLag(endOffset: string, committed: string): number {
  const end = Number(endOffset);
  const done = Number(committed);
  return Math.max(0, end - (done < 0 ? 0 : done));
}

/**
 * Exports `cr_consumer_lag{group,topic,partition}` for the groups this service
 * runs, so each service reports its own lag and per-sink lag is named by the
 * sink's group (`sink-<id>`). A failed measurement is logged and leaves the last values.
 */
export function startLagMonitor(options: LagMonitorOptions): LagMonitor {
  const gauge = (options.registry.getSingleMetric(METRICS.consumerLag) as Gauge<'group' | 'topic' | 'partition'> | undefined)
    ?? new Gauge({ name: METRICS.consumerLag, help: 'Records not yet consumed and committed, per group and partition', labelNames: ['group', 'topic', 'partition'], registers: [options.registry] });
  const measure = async (): Promise<void> => {
    for (const { groupId, topics } of options.groups()) {
      for (const topic of topics) {
        try {
          const [ends, committed] = await Promise.all([options.admin.endOffsets(topic), options.admin.committedOffsets(groupId, topic)]);
          for (const end of ends) {
            const done = committed.find((c) => c.partition === end.partition)?.offset ?? '-1';
            gauge.set({ group: groupId, topic, partition: String(end.partition) }, partitionLag(end.offset, done));
          }
        } catch (error) {
          options.logger.warn({ groupId, topic, ...describeError(error) }, 'kafka.lag.measure_failed');
        }
      }
    }
  };
  const timer = setInterval(() => { void measure(); }, options.intervalMs ?? 15_000);
  timer.unref();
  return { measure, stop: () => clearInterval(timer) };
}
