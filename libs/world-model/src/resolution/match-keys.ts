import { sourceKey, type WorldEvent } from '../types.ts';

/**
 * Tier-1 deterministic match keys for an event: its own source record, and each
 * identifier (system + value). Two events sharing any key are the same entity.
 * Keys are scoped by entity type so a Patient never links to a Practitioner.
 */
export function matchKeys(event: WorldEvent): string[] {
  const scope = event.entityType;
  const keys = [`${scope}:src:${sourceKey(event.source)}`];
  for (const id of event.identifiers) keys.push(`${scope}:id:${id.system}|${id.value}`);
  return keys;
}
