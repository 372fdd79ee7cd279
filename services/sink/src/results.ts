import type { EntityState } from '@cr/world-model';

export type Outcome = 'written' | 'unchanged' | 'gated' | 'dependency_failed' | 'failed';
export type Trigger = 'realtime' | 'reconcile' | 'approval' | 'dependency';

export interface SyncStepValue { name: string; status: 'done' | 'skipped' | 'failed'; targetType: string | null; targetId: string | null }

/** A `sink.results` value (schemas/SyncResult.avsc). */
export interface SyncResultValue {
  sinkId: string;
  entityId: string;
  entityVersion: number;
  outcome: Outcome;
  reason: string | null;
  targetType: string | null;
  targetId: string | null;
  targetVersion: string | null;
  attempt: number;
  at: number;
  reasonCode: string | null;
  heldFields: Record<string, string>;
  dependsOn: string | null;
  trigger: Trigger;
  steps: SyncStepValue[];
}

export function resultFor(sinkId: string, state: EntityState, trigger: Trigger, attempt: number, at: number, r: Partial<SyncResultValue> & { outcome: Outcome }): SyncResultValue {
  return {
    sinkId, entityId: state.entityId, entityVersion: state.version, reason: null, targetType: null, targetId: null, targetVersion: null,
    attempt, at, reasonCode: null, heldFields: {}, dependsOn: null, trigger, steps: [], ...r,
  };
}
