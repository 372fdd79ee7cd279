import { dataSourceSchema, type DataSourceConfig } from '@cr/world-model';

/** How often a source is read, for people: the shortest interval of its resources. */
export interface Cadence {
  intervalMs: number | null;
  description: string;
}

/** `90000` -> `1.5 min`, `3600000` -> `1 h`. */
export function humanInterval(ms: number): string {
  const fmt = (n: number): string => String(Math.round(n * 10) / 10);
  if (ms < 60_000) return `${fmt(ms / 1000)} s`;
  if (ms < 3_600_000) return `${fmt(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${fmt(ms / 3_600_000)} h`;
  return `${fmt(ms / 86_400_000)} d`;
}

function intervals(source: DataSourceConfig): number[] {
  switch (source.type) {
    case 'fhir_store':
    case 'smart_fhir': return source.config.resources.map((r) => r.intervalMs);
    case 'rest': return source.config.endpoints.map((e) => e.intervalMs);
    case 'crm': return source.config.objects.map((o) => o.intervalMs);
    case 'file_drop':
    case 'fhir_bulk': return [source.config.intervalMs];
    case 'webhook': return [];
  }
}

/**
 * The cadence of a data source from its saved config (the DataSource record's
 * fields). Unreadable config gives `unknown` rather than failing the listing.
 */
export function cadenceOf(record: { id: string; name: string; type: string; enabled: boolean; configJson: string }): Cadence {
  let config: unknown;
  try { config = JSON.parse(record.configJson); } catch { return { intervalMs: null, description: 'unknown' }; }
  const parsed = dataSourceSchema.safeParse({ id: record.id, name: record.name, type: record.type, enabled: record.enabled, config });
  if (!parsed.success) return { intervalMs: null, description: 'unknown' };
  const source = parsed.data;
  if (source.type === 'webhook') return { intervalMs: null, description: 'webhook' };
  const all = intervals(source);
  const min = Math.min(...all);
  const max = Math.max(...all);
  const verb = source.type === 'fhir_bulk' ? 'export every' : source.type === 'file_drop' ? 'scan every' : 'every';
  let description = min === max ? `${verb} ${humanInterval(min)}` : `${verb} ${humanInterval(min)} to ${humanInterval(max)}`;
  const hours = source.config.businessHours;
  if (hours) description += hours.poll === 'outside' ? ' (outside business hours)' : ' (during business hours)';
  return { intervalMs: min, description };
}
