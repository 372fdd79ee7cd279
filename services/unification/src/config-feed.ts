import type { Logger } from '@cr/core';
import { TOPICS, type KafkaClient, type RunningConsumer } from '@cr/kafka';
import type { Registry } from 'prom-client';
import type { DataSourceMessage, RuleRegistry } from './rule-registry.ts';

/**
 * Keeps the registry in step with `connector.config`: first everything already
 * on the topic (so the first raw record is mapped with its source's rules), then
 * every change, through a consumer group of this instance's own (every instance
 * needs every data source).
 */
export async function followConnectorConfig(options: { kafka: KafkaClient; registry: RuleRegistry; logger: Logger; instanceId: string; metricsRegistry: Registry; onApplied?: () => void }): Promise<RunningConsumer> {
  const { kafka, registry, logger } = options;
  const apply = (key: string | null, value: DataSourceMessage | null): void => {
    const id = value?.id ?? key;
    if (!id) return;
    const { ruleSets } = registry.apply(id, value);
    options.onApplied?.();
    logger.info({ dataSourceId: id, ruleSets, deleted: value === null }, 'unification.mapping.applied');
  };
  for (const r of await kafka.readAll<DataSourceMessage | null>(TOPICS.connectorConfig, { timeoutMs: 15_000 })) {
    try { apply(r.key, r.value); } catch (error) { logger.warn({ dataSourceId: r.key, error: (error as Error).message }, 'unification.mapping.refused'); }
  }
  return kafka.runConsumer<DataSourceMessage | null>({
    groupId: `unification-config-${options.instanceId}`,
    topics: [TOPICS.connectorConfig],
    stage: 'unification',
    fromBeginning: true,
    metricsRegistry: options.metricsRegistry,
    handle: (record) => { apply(record.key, record.value); return []; },
  });
}
