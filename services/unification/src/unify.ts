import { deterministicId, PayloadError } from '@cr/core';
import { BUILT_IN_RULE_SETS, mapRecord, ruleSetFor, UnmappableRecord, sourceKey, type RawRecord, type RuleSet, type WorldEvent } from '@cr/world-model';

/**
 * Raw record -> world event with the data source's rule sets, else the built-in
 * ones. The event id is derived from the raw record and the rule-set version,
 * so a re-delivered record yields the same event, and a re-mapping under new
 * rules yields new ones. A record no rule can map throws a PayloadError naming
 * why; the consumer sends it to `unification.dead-letter.v1`.
 */
export function unify(raw: RawRecord, configured: readonly RuleSet[] = []): WorldEvent {
  const ruleSet = ruleSetFor(raw.resourceType, configured, BUILT_IN_RULE_SETS);
  if (!ruleSet) throw new PayloadError(`raw record ${raw.recordId}: no mapping rule set for resource type ${raw.resourceType} (data source ${raw.dataSourceId})`);
  let payload: unknown;
  try { payload = JSON.parse(raw.payload); } catch { throw new PayloadError(`raw record ${raw.recordId}: payload is not JSON`); }
  try {
    return mapRecord(raw, payload, ruleSet, {
      recordedAt: raw.ingestedAt,
      eventId: (r, rs) => deterministicId('world-event', r.recordId, rs.id, rs.version),
    });
  } catch (error) {
    if (error instanceof UnmappableRecord) throw new PayloadError(`raw record ${raw.recordId}: ${error.message}`);
    throw error;
  }
}

export function worldEventKey(e: WorldEvent): string {
  return `${e.entityType}/${sourceKey(e.source)}`;
}
