import { PayloadError } from '@cr/core';
import { mappingConfigSchema, toRuleSet, type RuleSet } from '@cr/world-model';

/** A `connector.config` value as it travels (the DataSource Avro record). */
export interface DataSourceMessage {
  id: string;
  type: string;
  enabled: boolean;
  configJson: string;
}

export interface RuleRegistry {
  /** The data source's configured rule sets (empty: the built-in ones apply). */
  ruleSetsFor(dataSourceId: string): readonly RuleSet[];
  /** Applies a `connector.config` message (null: the source was deleted). Throws PayloadError for an invalid mapping. */
  apply(dataSourceId: string, value: DataSourceMessage | null): { ruleSets: number };
  size(): number;
}

/**
 * Each data source's mapping rules, from `connector.config` (`config.mapping.ruleSets`).
 * Only the mapping is read: the rest of a source's config is the connectors'
 * business. An invalid mapping is refused (dead-lettered by the caller) and the
 * rules in force stay as they were.
 */
export function createRuleRegistry(): RuleRegistry {
  const bySource = new Map<string, readonly RuleSet[]>();
  return {
    ruleSetsFor: (id) => bySource.get(id) ?? [],
    size: () => bySource.size,
    apply(id, value) {
      if (value === null) { bySource.delete(id); return { ruleSets: 0 }; }
      let config: unknown;
      try { config = JSON.parse(value.configJson); } catch { throw new PayloadError(`data source ${id}: configJson is not JSON`); }
      const mapping = (config as { mapping?: unknown } | null)?.mapping;
      if (mapping === undefined) { bySource.delete(id); return { ruleSets: 0 }; }
      const parsed = mappingConfigSchema.safeParse(mapping);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `mapping.${i.path.join('.')}: ${i.message}`).join('; ');
        throw new PayloadError(`data source ${id}: mapping refused, previous rules stay in force: ${issues}`);
      }
      const ruleSets = parsed.data.ruleSets.map(toRuleSet);
      bySource.set(id, ruleSets);
      return { ruleSets: ruleSets.length };
    },
  };
}
