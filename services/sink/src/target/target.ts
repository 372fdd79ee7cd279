/**
 * What a sink writes to: FHIR R4 servers (fhir_store, smart_fhir) and JSON-over-HTTP
 * systems (crm, rest) behind one small contract. Every create is conditional on
 * our own key, so a retried or replayed create finds the record it made.
 */
export type Doc = Record<string, unknown>;

export interface TargetRecord {
  id: string;
  /** FHIR meta.versionId, or an HTTP ETag; null when the target has none. */
  version: string | null;
  body: Doc;
}

/** Our key on a record: the entity (or a step of its write) it stands for. */
export interface RecordKey {
  system: string;
  value: string;
}

export interface Target {
  /** How other records point at this one: `Patient/12` (FHIR) or the id (crm/rest). */
  reference(type: string, id: string): string;
  /** The record, or undefined when the target does not have it (404/410). */
  read(type: string, id: string): Promise<TargetRecord | undefined>;
  /** The skeleton of a new record carrying `key` (FHIR: resourceType and identifier). */
  newRecord(type: string, key: RecordKey): Doc;
  /** Creates `body` unless a record carrying `key` exists; then returns that one. */
  createOnce(type: string, body: Doc, key: RecordKey): Promise<{ record: TargetRecord; created: boolean }>;
  /**
   * Updates the record, conditional on `version` (If-Match) when given: FHIR
   * replaces it with `merged` (what it held with our values written over it);
   * a PATCH API gets only `changes`. Throws ConflictError on 412 and RecordGone
   * when the record is not there.
   */
  update(type: string, id: string, body: { merged: Doc; changes: Doc }, version: string | null): Promise<TargetRecord>;
}
