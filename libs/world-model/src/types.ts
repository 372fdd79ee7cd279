/** The world model's vocabulary. Types only: this library does no I/O. */

export type Origin = 'ehr_sync' | 'crm_sync' | 'scrape' | 'voice' | 'agent' | 'operator';

export interface SourceRef {
  dataSourceId: string;
  /** The external system's base URL or name. */
  system: string;
  resourceType: string;
  externalId: string;
}

export interface Identifier {
  system: string;
  value: string;
}

/** A source record as ingested, before mapping. */
export interface RawRecord {
  recordId: string;
  dataSourceId: string;
  sourceType: string;
  system: string;
  resourceType: string;
  externalId: string;
  contentHash: string;
  /** JSON text exactly as received. */
  payload: string;
  sourceVersion: string | null;
  sourceLastUpdated: string | null;
  observedAt: number;
  ingestedAt: number;
}

export interface WorldEvent {
  eventId: string;
  entityType: string;
  source: SourceRef;
  /** Field path -> JSON-encoded value. */
  attributes: Record<string, string>;
  identifiers: Identifier[];
  confidence: number;
  origin: Origin | string;
  observedAt: number;
  recordedAt: number;
  mappingVersion: string;
  causationId: string;
  category: string | null;
  deleted: boolean;
  /**
   * The source material the values were taken from, for review: a call transcript,
   * or the raw record. Absent on events that need no review (and on old events).
   */
  sourceMaterial?: string | null;
}

export interface Resolution {
  tier: number;
  rule: string;
  score: number;
  features: string[];
}

export interface ResolvedEvent {
  entityId: string;
  event: WorldEvent;
  resolution: Resolution;
}

export interface FieldValue {
  valueJson: string;
  eventId: string;
  dataSourceId: string;
  origin: string;
  confidence: number;
  observedAt: number;
  verified: boolean;
}

export interface EntityState {
  entityId: string;
  entityType: string;
  version: number;
  fields: Record<string, FieldValue>;
  sourceRefs: SourceRef[];
  identifiers: Identifier[];
  minConfidence: number;
  eventCount: number;
  updatedAt: number;
  deleted: boolean;
}

export interface Verdict {
  verdictId: string;
  entityId: string;
  eventId: string;
  outcome: 'verified' | 'rejected' | 'uncertain' | string;
  confidence: number;
  judge: string;
  reason: string | null;
  decidedAt: number;
}

/** One event under human review, with what the reviewer needs to judge it. */
export interface ReviewEvidence {
  eventId: string;
  origin: string;
  confidence: number;
  observedAt: number;
  dataSourceId: string;
  category: string | null;
  /** Field path -> JSON-encoded value, as on the event. */
  attributes: Record<string, string>;
  sourceMaterial: string | null;
  /** What the judge found, per field (e.g. `insurance.memberId: not found in the source material`). */
  findings: string[];
}

export interface ReviewTask {
  taskId: string;
  entityId: string;
  entityType: string;
  /** Events still awaiting a decision (when decided: the events of the last decision). */
  eventIds: string[];
  reason: string;
  /** open | approved | rejected */
  status: string;
  createdAt: number;
  evidence?: ReviewEvidence[];
  judge?: string | null;
  updatedAt?: number | null;
  decidedBy?: string | null;
}

/** `dataSourceId/resourceType/externalId`: one record of one source. */
export function sourceKey(ref: Pick<SourceRef, 'dataSourceId' | 'resourceType' | 'externalId'>): string {
  return `${ref.dataSourceId}/${ref.resourceType}/${ref.externalId}`;
}

export interface LinkMember {
  sourceKey: string;
  rule: string;
  score: number;
  features: string[];
  linkedAt: number;
}

export interface EntityLinks {
  entityId: string;
  entityType: string;
  members: LinkMember[];
  change: 'link' | 'merge' | 'unlink' | string;
  changedBy: string | null;
  reason: string | null;
  revision: number;
}
