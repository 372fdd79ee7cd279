import { deterministicId, PayloadError } from '@cr/core';
import { mapRecord, ruleSetFor, UnmappableRecord, sourceKey, type RawRecord, type RuleSet, type WorldEvent } from '@cr/world-model';

/**
 * Raw record -> world event with the data source's rule set. The event id is
 * derived from the raw record and the rule-set version, so a re-delivered record
 * yields the same event, and a re-mapping under new rules yields new ones.
 */
export function unify(raw: RawRecord, ruleSets: readonly RuleSet[]): WorldEvent {
  const ruleSet = ruleSetFor(raw.resourceType, ruleSets);
  if (!ruleSet) throw new PayloadError(`no mapping rule set for resource type ${raw.resourceType}`);
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
