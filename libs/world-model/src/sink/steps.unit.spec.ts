import { describe, expect, it } from 'vitest';
import { planSteps, stepEntries, stepIdentifier } from './steps.ts';
import { reconcilePlan, type LedgerPosition } from './reconcile.ts';
import { defaultMappings } from './default-mappings.ts';
import type { SinkStep } from './sink-config.ts';
import type { FieldValue } from '../types.ts';

const v = (value: unknown): FieldValue => ({ valueJson: JSON.stringify(value), eventId: 'e', dataSourceId: 'a', origin: 'ehr_sync', confidence: 1, observedAt: 1, verified: true });
const notify: SinkStep = { kind: 'create', name: 'notify-practitioner', target: 'Communication', values: { status: { const: 'completed' }, 'recipient[0].reference': { ref: 'practitionerId' }, 'about[0].reference': { ref: 'self' }, 'payload[0].contentString': { field: 'description' } } };

describe('multi-step writes', () => {
  it('given a mapping with steps, when planned, then the record itself comes first', () => {
    expect(planSteps({ ...defaultMappings('fhir_store').Appointment!, steps: [notify] }).map((s) => s.name)).toEqual(['upsert', 'notify-practitioner']);
  });

  it('given resolved references, when a step is resolved, then constants, fields and references fill it', () => {
    const r = stepEntries(notify, { fields: { description: v('Check-up') }, self: 'Appointment/9', references: { practitionerId: 'Practitioner/3' } });
    expect(r).toEqual({ ok: true, entries: [['status', 'completed'], ['recipient[0].reference', 'Practitioner/3'], ['about[0].reference', 'Appointment/9'], ['payload[0].contentString', 'Check-up']] });
  });

  it('given a reference the step needs is unresolved, when resolved, then the step says so', () => {
    expect(stepEntries(notify, { fields: {}, self: 'Appointment/9', references: {} })).toEqual({ ok: false, reason: 'step notify-practitioner: reference practitionerId not resolved' });
  });

  it('given the same content, when a step identifier is made twice, then it is the same (a retried create finds its record)', () => {
    expect(stepIdentifier('s', 'ent', 'notify', 'abcdef0123456789ff')).toEqual(stepIdentifier('s', 'ent', 'notify', 'abcdef0123456789ff'));
  });
});

describe('reconciliation plan', () => {
  const pos = (over: Partial<LedgerPosition>): LedgerPosition => ({ lastVersion: 1, outcome: 'written', verified: true, waitingOn: null, ...over });
  const latest = [
    { entityId: 'never', entityType: 'Patient', version: 1 },
    { entityId: 'behind', entityType: 'Patient', version: 3 },
    { entityId: 'unverified', entityType: 'Patient', version: 1 },
    { entityId: 'waiting', entityType: 'Appointment', version: 1 },
    { entityId: 'done', entityType: 'Patient', version: 1 },
    { entityId: 'other-type', entityType: 'Location', version: 1 },
  ];
  const positions = new Map([
    ['behind', pos({ lastVersion: 2 })], ['unverified', pos({ verified: false })], ['done', pos({})],
    ['waiting', pos({ outcome: 'dependency_failed', waitingOn: 'done' })],
  ]);

  it('given states the ledger lacks, is behind on, waits for or has not read back, when planned, then each is re-queued, most urgent first', () => {
    expect(reconcilePlan({ latest, positions, entityTypes: ['Patient', 'Appointment'], inTarget: new Set(['done']), readBack: true, max: 10 })).toEqual([
      { entityId: 'never', reason: 'missed' }, { entityId: 'behind', reason: 'behind' },
      { entityId: 'waiting', reason: 'dependency_ready' }, { entityId: 'unverified', reason: 'read_back' },
    ]);
  });

  it('given states the real-time path has not reached yet, when planned, then they are backlog, not missed', () => {
    const backlog = latest.map((s) => ({ ...s, consumed: false }));
    expect(reconcilePlan({ latest: backlog, positions, entityTypes: ['Patient'], inTarget: new Set(), readBack: false, max: 10 })).toEqual([]);
  });

  it('given a bound, when planned, then no more than it are re-queued', () => {
    expect(reconcilePlan({ latest, positions, entityTypes: ['Patient', 'Appointment'], inTarget: new Set(), readBack: false, max: 1 })).toEqual([{ entityId: 'never', reason: 'missed' }]);
  });
});
