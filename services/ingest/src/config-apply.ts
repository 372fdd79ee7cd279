import { PayloadError, formatIssues } from '@cr/core';
import { dataSourceSchema, type DataSourceConfig } from '@cr/world-model';

/** A `connector.config` value as the api writes it. */
export interface DataSourceMessage { id: string; name: string; type: string; enabled: boolean; configJson: string }

/**
 * The whole data source, validated before anything changes: a refusal names
 * every bad field by its dotted path (`config.resources.0.pageSize: ...`) and
 * leaves the running configuration as it was.
 */
export function parseDataSourceMessage(key: string, value: DataSourceMessage): DataSourceConfig {
  let config: unknown;
  try { config = JSON.parse(value.configJson); } catch { throw new PayloadError(`data source ${key}: configJson is not JSON`); }
  const parsed = dataSourceSchema.safeParse({ id: value.id, name: value.name, type: value.type, enabled: value.enabled, config });
  if (!parsed.success) throw new PayloadError(`data source ${key} refused: ${formatIssues(parsed.error).join('; ')}`);
  if (parsed.data.id !== key) throw new PayloadError(`data source ${key} refused: id: does not match the record key`);
  return parsed.data;
}
