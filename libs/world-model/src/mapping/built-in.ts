import { FHIR_R4_RULE_SETS } from './fhir-r4.ts';
import type { RuleSet } from './rules.ts';
import { TABULAR_RULE_SETS } from './tabular.ts';

/** Rule sets every deployment has; a data source's configured rule sets take precedence. */
export const BUILT_IN_RULE_SETS: readonly RuleSet[] = [...FHIR_R4_RULE_SETS, ...TABULAR_RULE_SETS];

/**
 * The rule set for a source resource type: the data source's own first, then the
 * built-in ones. Undefined when no rule can map it (the record is dead-lettered).
 */
export function ruleSetFor(resourceType: string, ruleSets: readonly RuleSet[] = BUILT_IN_RULE_SETS, fallback: readonly RuleSet[] = []): RuleSet | undefined {
  return ruleSets.find((r) => r.resourceType === resourceType) ?? fallback.find((r) => r.resourceType === resourceType);
}
