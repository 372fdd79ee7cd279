import { describe, expect, it } from 'vitest';
import { initialState } from '../projection/evolve.ts';
import type { EntityState, FieldValue } from '../types.ts';
import { handleTask } from './decide.ts';
import { taskEventKey, taskFromState, taskWorldEvent, TASK_IDENTIFIER_SYSTEM } from './world-event.ts';

const retry = { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0 };
const T = 1_800_000_000_000;

describe('tasks as world events', () => {
  const { events, steps } = handleTask(null, { type: 'schedule', reason: 'r', spec: {
    taskId: 'manual:abc', workspaceId: 'w', purpose: 'follow_up', channel: 'text', priority: 7, patient: 'ent-p', patientRefs: [],
    subject: null, createdBy: 'manual:op-1', dueAt: T, expiresAt: null,
  } }, { now: T, retry });
  const event = taskWorldEvent(steps[0]!, events[0]!, { origin: 'operator', causationId: 'api:req-1', recordedAt: T });

  it('given a change, when written, then it is an OutboundTask event with a deterministic id, the task identifier and no PHI', () => {
    expect(event).toMatchObject({
      eventId: 'outbound-task:manual:abc:1', entityType: 'OutboundTask', origin: 'operator', confidence: 1, observedAt: T,
      identifiers: [{ system: TASK_IDENTIFIER_SYSTEM, value: 'manual:abc' }],
      source: { dataSourceId: 'dispatch', resourceType: 'OutboundTask', externalId: 'manual:abc' },
    });
    expect(JSON.parse(event.attributes.status!)).toBe('scheduled');
    expect(JSON.parse(event.attributes.dueAt!)).toBe(new Date(T).toISOString());
    expect(taskEventKey('manual:abc')).toBe('OutboundTask/dispatch/OutboundTask/manual:abc');
  });

  it('given the projected state of a task, when read back, then it is the same task', () => {
    const fields: Record<string, FieldValue> = Object.fromEntries(Object.entries(event.attributes).map(([k, valueJson]) => [k, {
      valueJson, eventId: event.eventId, dataSourceId: 'dispatch', origin: 'operator', confidence: 1, observedAt: T, verified: true,
    }]));
    const state: EntityState = { ...initialState('ent-t', 'OutboundTask'), fields };
    expect(taskFromState(state)).toEqual(steps[0]);
    expect(taskFromState({ ...state, entityType: 'Patient' })).toBeNull();
  });
});
