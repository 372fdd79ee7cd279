import type { Logger, SecretStore } from '@cr/core';
import type { LoopHandle, Loops } from '@cr/runtime';
import type { Producer } from '@cr/kafka';
import type { DataSourceConfig } from '@cr/world-model';
import type { Registry } from 'prom-client';
import type { IngestStore } from './store.ts';
import type { WebhookRouter } from './http/webhook-server.ts';
import type { IngestSettings } from './settings.ts';
import { createRecordEmitter } from './records/emitter.ts';
import { createDeadLetterWriter } from './records/dead-letter.ts';
import { createSourceGuard } from './resilience/source-guard.ts';
import { createHealthPublisher } from './health/health-publisher.ts';
import { createConnector, systemOf } from './connectors/index.ts';

export interface SourceRuntime {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface RuntimeDeps {
  store: IngestStore;
  producer: Producer;
  secrets: SecretStore;
  webhooks: WebhookRouter;
  registry: Registry;
  settings: IngestSettings;
  logger: Logger;
  /** The service's loops: each data source is one (`source:<id>`) in the heartbeats. */
  loops?: Loops;
  now?: () => number;
}

/** One data source's connector with its own guard (breaker, rate limit), emitter and health. */
export async function createSourceRuntime(source: DataSourceConfig, deps: RuntimeDeps): Promise<SourceRuntime> {
  const now = deps.now ?? Date.now;
  const logger = deps.logger.child({ dataSourceId: source.id, connector: source.type });
  const resilience = source.config.resilience;
  const guard = createSourceGuard({ dataSourceId: source.id, resilience, logger, registry: deps.registry });
  let loop: LoopHandle | undefined;
  const connector = await createConnector({
    source, logger, guard, store: deps.store, secrets: deps.secrets, webhooks: deps.webhooks, producer: deps.producer,
    registry: deps.registry, settings: deps.settings, now,
    emitter: createRecordEmitter({ source: { id: source.id, type: source.type, system: systemOf(source) }, store: deps.store, producer: deps.producer, now }),
    deadLetters: createDeadLetterWriter(deps.producer, deps.registry, source.id),
    health: createHealthPublisher({ producer: deps.producer, logger, dataSourceId: source.id, connectorType: source.type, unhealthyAfter: resilience.unhealthyAfter, registry: deps.registry, now }),
    loop: { running: () => loop?.running(), idle: () => loop?.idle(), close: () => loop?.close() },
  }).catch((error: unknown) => { guard.shutdown(); throw error; });
  return {
    start: () => {
      loop = deps.loops?.register(`source:${source.id}`);
      return connector.start();
    },
    async stop() {
      await connector.stop();
      loop?.close();
      guard.shutdown();
    },
  };
}
