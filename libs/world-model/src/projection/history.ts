import type { FieldValue } from '../types.ts';
import { compareCandidates, lossReason } from './conflict.ts';
import { includedEvents, type AppliedEvent, type ProjectionDoc } from './document.ts';
import { DEFAULT_PROJECTION, valuesOf, type ProjectionOptions } from './state.ts';
import type { Verdict } from '../types.ts';

/**
 * One line of a field's history:
 *  - `set`: the value became the field's value (`previous` is what it replaced);
 *  - `lost`: the value arrived but lost (`lostTo`, `reason`), and stays visible here;
 *  - `verified` / `rejected`: review decided on the value (`by` names the judge or operator).
 */
export interface FieldChange {
  field: string;
  change: 'set' | 'lost' | 'verified' | 'rejected';
  /** When it happened: when the pipeline recorded the value, or when the verdict was decided (ms). */
  at: number;
  valueJson: string;
  eventId: string;
  dataSourceId: string;
  origin: string;
  confidence: number;
  observedAt: number;
  previous?: { valueJson: string; eventId: string; dataSourceId: string } | undefined;
  lostTo?: { eventId: string; dataSourceId: string } | undefined;
  reason?: string | undefined;
  by?: string | undefined;
}

type Step =
  | { at: number; order: 0; id: string; event: AppliedEvent }
  | { at: number; order: 1; id: string; event: AppliedEvent; verdict: Verdict };

/**
 * The field-level history of an entity: its events in the order the pipeline
 * recorded them and its verdicts at their decision time, replayed through the
 * conflict rule, so a stale read that arrives late shows as `lost` (older
 * observation). What it ends with is exactly `stateOf(doc).fields`. Pure: the
 * times are the events' own, so a replay gives the same history.
 */
export function historyOf(doc: ProjectionDoc, options: ProjectionOptions = DEFAULT_PROJECTION): FieldChange[] {
  const steps: Step[] = [];
  for (const event of includedEvents(doc)) {
    steps.push({ at: event.recordedAt, order: 0, id: event.eventId, event });
    for (const verdict of doc.verdicts[event.eventId] ?? []) {
      if (verdict.outcome !== 'verified' && verdict.outcome !== 'rejected') continue;
      steps.push({ at: Math.max(verdict.decidedAt, event.recordedAt), order: 1, id: verdict.verdictId, event, verdict });
    }
  }
  steps.sort((a, b) => a.at - b.at || a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const out: FieldChange[] = [];
  // Per field: every live candidate by event id, and the current winner.
  const live = new Map<string, Map<string, FieldValue>>();
  const winner = new Map<string, FieldValue>();
  const line = (field: string, change: FieldChange['change'], at: number, f: FieldValue, extra: Partial<FieldChange> = {}): void => {
    out.push({ field, change, at, valueJson: f.valueJson, eventId: f.eventId, dataSourceId: f.dataSourceId, origin: f.origin, confidence: f.confidence, observedAt: f.observedAt, ...extra });
  };
  const reelect = (field: string, at: number, reason: string): void => {
    let best: FieldValue | undefined;
    for (const c of live.get(field)?.values() ?? []) if (!best || compareCandidates(c, best) > 0) best = c;
    const before = winner.get(field);
    if (best && best.eventId !== before?.eventId) {
      line(field, 'set', at, best, { reason, previous: before ? { valueJson: before.valueJson, eventId: before.eventId, dataSourceId: before.dataSourceId } : undefined });
    }
    if (best) winner.set(field, best); else winner.delete(field);
  };

  for (const step of steps) {
    if (step.order === 0) {
      // The value as it arrived: before any verdict on it.
      const asArrived = valuesOf(doc.entityType, step.event, undefined, options);
      for (const [field, candidate] of Object.entries(asArrived)) {
        const set = live.get(field) ?? new Map<string, FieldValue>();
        set.set(candidate.eventId, candidate);
        live.set(field, set);
        const current = winner.get(field);
        if (!current || compareCandidates(candidate, current) > 0) {
          winner.set(field, candidate);
          line(field, 'set', step.at, candidate, current ? { previous: { valueJson: current.valueJson, eventId: current.eventId, dataSourceId: current.dataSourceId } } : {});
        } else {
          line(field, 'lost', step.at, candidate, { lostTo: { eventId: current.eventId, dataSourceId: current.dataSourceId }, reason: lossReason(candidate, current) });
        }
      }
      continue;
    }
    const { verdict } = step;
    const decided = valuesOf(doc.entityType, step.event, verdict, options);
    const asArrived = valuesOf(doc.entityType, step.event, undefined, options);
    for (const field of Object.keys(step.event.attributes).sort()) {
      // A value an earlier rejection removed comes back when a later verdict verifies it.
      const before = live.get(field)?.get(step.event.eventId) ?? asArrived[field];
      if (!before) continue;
      if (verdict.outcome === 'verified') {
        const after = decided[field] ?? before;
        const set = live.get(field) ?? new Map<string, FieldValue>();
        set.set(step.event.eventId, after);
        live.set(field, set);
        if (winner.get(field)?.eventId === after.eventId) winner.set(field, after);
        line(field, 'verified', step.at, after, { by: verdict.judge });
        reelect(field, step.at, 'verified by review');
      } else {
        live.get(field)?.delete(step.event.eventId);
        line(field, 'rejected', step.at, before, { by: verdict.judge });
        if (winner.get(field)?.eventId === step.event.eventId) winner.delete(field);
        reelect(field, step.at, 'previous value rejected');
      }
    }
  }
  return out;
}
