import type { EntityState, FieldValue } from '../types.ts';

export interface SinkPolicy {
  sinkId: string;
  /** Data sources that read from the same system this sink writes to: never echo their values back. */
  ownDataSourceIds: readonly string[];
  threshold: number;
  entityTypes: readonly string[];
}

export type GateResult =
  | { pass: true; fields: Record<string, FieldValue> }
  | { pass: false; reason: string };

/**
 * The write-back gates: eligible entity type, no echo, confidence threshold, and
 * verified values only. Returns the fields that may be written, or why nothing may.
 */
export function gate(state: EntityState, policy: SinkPolicy): GateResult {
  if (!policy.entityTypes.includes(state.entityType)) return { pass: false, reason: `entity type ${state.entityType} not taken by this sink` };
  if (state.deleted) return { pass: false, reason: 'entity deleted' };
  const fields: Record<string, FieldValue> = {};
  let echo = 0;
  let low = 0;
  for (const [name, f] of Object.entries(state.fields)) {
    if (policy.ownDataSourceIds.includes(f.dataSourceId)) { echo++; continue; }
    if (f.confidence < policy.threshold || !f.verified) { low++; continue; }
    fields[name] = f;
  }
  if (Object.keys(fields).length === 0) {
    return { pass: false, reason: `no eligible fields (echo: ${echo}, below threshold or unverified: ${low})` };
  }
  return { pass: true, fields };
}
