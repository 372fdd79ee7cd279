import type { DataSourceConfig } from '@cr/world-model';
import type { Connector, ConnectorContext, ConnectorFactory } from '../connector.ts';
import { fhirStoreConnector } from './fhir-store/index.ts';
import { smartFhirConnector } from './smart-fhir/index.ts';
import { fileDropConnector } from './file-drop/index.ts';
import { webhookConnector } from './webhook/index.ts';
import { restConnector } from './rest/index.ts';
import { crmConnector } from './crm/index.ts';
import { bulkDataConnector } from './bulk-data/index.ts';

const FACTORIES: { [T in DataSourceConfig['type']]: ConnectorFactory<T> } = {
  fhir_store: fhirStoreConnector,
  smart_fhir: smartFhirConnector,
  fhir_bulk: bulkDataConnector,
  rest: restConnector,
  crm: crmConnector,
  webhook: webhookConnector,
  file_drop: fileDropConnector,
};

/** Plans the connector for a source (may refuse it with a ConfigError). */
export function createConnector(ctx: ConnectorContext): Promise<Connector> {
  const factory = FACTORIES[ctx.source.type] as ConnectorFactory<DataSourceConfig['type']>;
  return factory(ctx as never);
}

/** The address records of a source carry in `system`. */
export function systemOf(source: DataSourceConfig): string {
  switch (source.type) {
    case 'file_drop': return `file://${source.config.directory}`;
    case 'webhook': return source.config.fhir?.baseUrl ?? `webhook:${source.id}`;
    default: return source.config.baseUrl;
  }
}
