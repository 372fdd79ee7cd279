import type { EntityState, FieldValue } from '../types.ts';

export interface SinkPolicy {
  sinkId: string;
  /** Data sources that read from the same system this sink writes to: never echo their values back. */
  ownDataSourceIds: readonly string[];
  threshold: number;
  entityTypes: readonly string[];
  /** Review categories whose values wait for an operator's approval. */
  humanReviewCategories?: readonly string[];
  /** A field's category when the state carries none (from the sink's mapping). */
  categoryOf?: (field: string) => string | undefined;
  /** Only these fields are considered (the mapped ones); default: all. */
  fields?: readonly string[];
}

/** Operators' latest decisions known for one entity (from review.decisions). */
export interface Approvals {
  /** Event id -> approved (true) or rejected (false). */
  events: ReadonlyMap<string, boolean>;
  /** The latest decision on the entity with no event detail: covers values observed up to then. */
  entity?: { approved: boolean; at: number };
}

export const NO_APPROVALS: Approvals = { events: new Map() };

/** The operator's word on one value, if any. */
function decisionOn(f: FieldValue, approvals: Approvals): boolean | undefined {
  const byEvent = approvals.events.get(f.eventId);
  if (byEvent !== undefined) return byEvent;
  if (approvals.entity && f.observedAt <= approvals.entity.at) return approvals.entity.approved;
  return undefined;
}

/** Why one field is held back. */
export type HoldReason = 'echo' | 'rejected' | 'below_threshold' | 'unverified' | 'awaiting_sign_off';

/** Why nothing at all may be written. */
export type GateCode = 'entity_type' | 'deleted' | 'no_eligible_fields';

export type GateResult =
  | { pass: true; fields: Record<string, FieldValue>; held: Record<string, HoldReason> }
  | { pass: false; code: GateCode; reason: string; held: Record<string, HoldReason> };

/** A field with the category the review service may add to the state. */
type CategorisedField = FieldValue & { category?: string | null };

/**
 * The write-back gates, per field, in order:
 * 1. source eligibility: a value from the sink's own system is never echoed back;
 * 2. an operator's rejection holds the value for good;
 * 3. confidence threshold: below it nothing is written (voice at 0.5 never passes unreviewed);
 * 4. automated review: the value must be `verified`;
 * 5. human review: categories configured for sign-off wait for an approval.
 * Returns the fields that may be written and, for the others, why not.
 */
export function gate(state: EntityState, policy: SinkPolicy, approvals: Approvals = NO_APPROVALS): GateResult {
  const held: Record<string, HoldReason> = {};
  if (!policy.entityTypes.includes(state.entityType)) return { pass: false, code: 'entity_type', reason: `entity type ${state.entityType} not taken by this sink`, held };
  if (state.deleted) return { pass: false, code: 'deleted', reason: 'entity deleted', held };
  const fields: Record<string, FieldValue> = {};
  for (const [name, f] of Object.entries(state.fields)) {
    if (policy.fields && !policy.fields.includes(name)) continue;
    const hold = holdReason(name, f as CategorisedField, policy, approvals);
    if (hold) held[name] = hold;
    else fields[name] = f;
  }
  if (Object.keys(fields).length === 0) {
    const counts = Object.values(held).reduce<Record<string, number>>((acc, r) => ({ ...acc, [r]: (acc[r] ?? 0) + 1 }), {});
    const detail = Object.entries(counts).map(([r, n]) => `${r}: ${n}`).join(', ') || 'no mapped fields';
    return { pass: false, code: 'no_eligible_fields', reason: `no eligible fields (${detail})`, held };
  }
  return { pass: true, fields, held };
}

function holdReason(name: string, f: CategorisedField, policy: SinkPolicy, approvals: Approvals): HoldReason | undefined {
  if (policy.ownDataSourceIds.includes(f.dataSourceId)) return 'echo';
  const decision = decisionOn(f, approvals);
  if (decision === false) return 'rejected';
  if (f.confidence < policy.threshold) return 'below_threshold';
  if (!f.verified) return 'unverified';
  const category = f.category ?? policy.categoryOf?.(name);
  if (category && policy.humanReviewCategories?.includes(category)) {
    if (decision !== true) return 'awaiting_sign_off';
  }
  return undefined;
}
