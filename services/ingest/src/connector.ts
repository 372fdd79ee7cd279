import type { Logger, SecretStore } from '@cr/core';
import type { LoopHandle } from '@cr/runtime';
import type { Producer } from '@cr/kafka';
import type { DataSourceConfig, DataSourceType, DataSourceOf } from '@cr/world-model';
import type { Registry } from 'prom-client';
import type { RecordEmitter } from './records/emitter.ts';
import type { DeadLetterWriter } from './records/dead-letter.ts';
import type { SourceGuard } from './resilience/source-guard.ts';
import type { HealthPublisher } from './health/health-publisher.ts';
import type { IngestStore } from './store.ts';
import type { WebhookRouter } from './http/webhook-server.ts';
import type { IngestSettings } from './settings.ts';

/**
 * The connector contract every source type implements. A factory only plans:
 * it resolves secrets and checks what can be checked before anything runs, and
 * throws (a ConfigError naming the field) to refuse the configuration; the old
 * one keeps running. `start` then moves data; `stop` finishes in-flight work.
 */
export interface Connector {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Everything a connector may use; all of it scoped to one data source. */
export interface ConnectorContext<S extends DataSourceConfig = DataSourceConfig> {
  source: S;
  logger: Logger;
  emitter: RecordEmitter;
  deadLetters: DeadLetterWriter;
  guard: SourceGuard;
  health: HealthPublisher;
  store: IngestStore;
  secrets: SecretStore;
  webhooks: WebhookRouter;
  producer: Producer;
  registry: Registry;
  settings: IngestSettings;
  now: () => number;
  /** This source's loop in the service's heartbeats: running during a cycle, idle between. */
  loop?: LoopHandle;
}

export type ConnectorFactory<T extends DataSourceType> = (ctx: ConnectorContext<DataSourceOf<T>>) => Promise<Connector>;
