import type { WorldEvent } from '@cr/world-model';
import { DEFAULT_DECIDE } from '@cr/world-model';
import { Engine } from '../../../services/resolution/src/engine.ts';
import { entityIdFor, splitEntityIdFor } from '../../../services/resolution/src/store.ts';

/** The resolution engine alone, state in memory: what the algorithm costs without the database. */
export function resolveInMemory(events: readonly WorldEvent[], linkProbability: number): Map<string, string> {
  const engine = new Engine(
    { keyMembers: new Map(), entities: new Map(), members: new Map(), cannotLink: new Set(), seen: new Map() },
    { decide: { ...DEFAULT_DECIDE, linkProbability }, idFor: entityIdFor, splitIdFor: splitEntityIdFor },
  );
  events.forEach((e, i) => engine.resolve(e, i + 1));
  const out = new Map<string, string>();
  for (const e of events) {
    const key = `${e.source.dataSourceId}/${e.source.resourceType}/${e.source.externalId}`;
    out.set(key, engine.entityOf(key)!);
  }
  return out;
}
