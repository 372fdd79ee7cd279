import { describeError, PayloadError } from '@cr/core';
import { ENTITY_IDENTIFIER_SYSTEM, stepEntries, stepIdentifier, type EntityMapping, type EntityState, type PlannedStep, type StepContext, type translate } from '@cr/world-model';
import type { StepRecord } from './store/ledger.ts';
import type { SyncContext } from './sync.ts';
import { ensureRecord, type WriteDeps } from './upsert.ts';

export interface StepInput {
  state: EntityState;
  mapping: EntityMapping;
  entries: ReturnType<typeof translate>['entries'];
  hash: string;
  self: StepRecord;
  before: StepRecord | undefined;
  ctx: StepContext;
}

/** Runs one step; a step whose optional reference is absent (no practitioner to notify) is skipped. */
export async function runStep(ctx: SyncContext, deps: WriteDeps, step: PlannedStep, s: StepInput): Promise<{ record: StepRecord; wrote: boolean; skipped?: string }> {
  const record = (type: string, r: { id: string; version: string | null }): StepRecord => ({ status: 'done', contentHash: s.hash, targetType: type, targetId: r.id, targetVersion: r.version });
  if (step.kind === 'upsert') {
    const key = { system: ENTITY_IDENTIFIER_SYSTEM, value: s.state.entityId };
    const r = await ensureRecord(deps, s.mapping.target, key, s.entries, s.self.targetId);
    return { record: record(s.mapping.target, r.record), wrote: r.wrote };
  }
  const values = stepEntries(step, s.ctx);
  if (!values.ok) return { record: { status: 'done', contentHash: s.hash, targetType: null, targetId: null, targetVersion: null }, wrote: false, skipped: values.reason };
  if (step.kind === 'create') {
    const key = stepIdentifier(ctx.config.id, s.state.entityId, step.name, s.hash);
    const r = await ensureRecord(deps, step.target, key, values.entries, s.before?.targetId ?? null);
    return { record: record(step.target, r.record), wrote: r.wrote };
  }
  const ref = s.ctx.references[step.reference]!;
  const [type, id] = splitReference(ref, s.mapping.fields[step.reference]?.reference ?? 'unknown');
  const r = await ensureRecord(deps, type, { system: ENTITY_IDENTIFIER_SYSTEM, value: `${s.state.entityId}/${step.name}` }, values.entries, id, { createIfMissing: false });
  return { record: record(type, r.record), wrote: r.wrote };
}

/** `Patient/12` -> [Patient, 12]; a bare id (crm/rest) keeps the mapping's type. */
export function splitReference(ref: string, fallbackType: string): [string, string] {
  const i = ref.lastIndexOf('/');
  return i > 0 ? [ref.slice(0, i), ref.slice(i + 1)] : [fallbackType, ref];
}

/** Why a write was refused, as a reason code: validation, consent (403), auth... */
export function errorCode(error: unknown): string {
  const status = (error as { status?: number }).status;
  if (status === 403) return 'consent';
  if (status === 401) return 'auth';
  if (status === 400 || status === 422 || error instanceof PayloadError) return 'validation';
  return describeError(error).errorClass;
}

