import type { FieldValue } from '../types.ts';
import type { EntityMapping, SinkStep } from './sink-config.ts';
import type { PathEntry } from './write-path.ts';

/**
 * A multi-step write: the entity's own record first, then the mapping's further
 * steps (create a record once, merge into a referenced record). Each step is
 * tracked on its own, so a retry re-runs only the steps not yet done.
 */
export type PlannedStep = { name: 'upsert'; kind: 'upsert' } | (SinkStep & { name: string });

export function planSteps(mapping: EntityMapping): PlannedStep[] {
  return [{ name: 'upsert', kind: 'upsert' }, ...mapping.steps];
}

export interface StepContext {
  fields: Record<string, FieldValue>;
  /** The entity's own record in the target, e.g. `Appointment/9`. */
  self: string;
  /** Reference field -> referenced record in the target. */
  references: Readonly<Record<string, string>>;
}

export type StepEntries = { ok: true; entries: PathEntry[] } | { ok: false; reason: string };

/** A create/update step's values, resolved; a reference it needs but cannot resolve skips it (nothing to notify). */
export function stepEntries(step: SinkStep, ctx: StepContext): StepEntries {
  const entries: PathEntry[] = [];
  for (const [path, source] of Object.entries(step.values)) {
    if ('const' in source) entries.push([path, source.const]);
    else if ('field' in source) {
      const f = ctx.fields[source.field];
      if (f) entries.push([path, JSON.parse(f.valueJson) as unknown]);
    } else {
      const ref = source.ref === 'self' ? ctx.self : ctx.references[source.ref];
      if (!ref) return { ok: false, reason: `step ${step.name}: reference ${source.ref} not resolved` };
      entries.push([path, ref]);
    }
  }
  return { ok: true, entries };
}

export const STEP_IDENTIFIER_SYSTEM = 'urn:connector-runner:step';

/**
 * The identifier a step's created record carries: the same content gives the
 * same identifier, so a retried or replayed create finds the record it made.
 */
export function stepIdentifier(sinkId: string, entityId: string, stepName: string, contentHash: string): { system: string; value: string } {
  return { system: STEP_IDENTIFIER_SYSTEM, value: `${sinkId}/${entityId}/${stepName}/${contentHash.slice(0, 16)}` };
}
