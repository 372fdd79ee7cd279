import { deterministicId } from '@cr/core';
import { sourceKey, type WorldEvent } from '@cr/world-model';
import { syntheticPatient } from '@cr/e2e';

/** The generated load: FHIR resources for source A, and agent and voice writes. Pure. */

export const MRN_SYSTEM = 'urn:oid:2.16.840.1.113883.19.5';

export function mrn(i: number): string {
  return `MRN-${String(i).padStart(6, '0')}`;
}

export function patient(i: number): Record<string, unknown> {
  return syntheticPatient(i);
}

/** An Appointment for patient `patientIndex`, referenced by MRN (no server ids needed). */
export function appointment(i: number, patientIndex: number, startMs: number): Record<string, unknown> {
  const start = new Date(startMs + (i % 500) * 1_800_000);
  return {
    resourceType: 'Appointment',
    status: 'booked',
    identifier: [{ system: 'urn:bench:appointment', value: `APT-${i}` }],
    description: i % 3 ? 'Follow-up visit' : 'Annual check-up',
    start: start.toISOString(),
    end: new Date(start.getTime() + 1_800_000).toISOString(),
    participant: [{ actor: { identifier: { system: MRN_SYSTEM, value: mrn(patientIndex) } }, status: 'accepted' }],
  };
}

export type WriteOrigin = 'agent' | 'voice';

/** Confidence by origin, as the brief for these writes fixes it. */
export const WRITE_CONFIDENCE: Record<WriteOrigin, number> = { voice: 0.5, agent: 0.4 };

/**
 * A voice or agent write about patient `patientIndex` (matched by MRN), as the
 * api will produce it once `POST /v1/world/events` exists.
 */
export function agentWrite(origin: WriteOrigin, i: number, patientIndex: number, runId: string, now: number): { key: string; value: WorldEvent } {
  const requestId = `${origin}-${runId}-${i}`;
  const event: WorldEvent = {
    eventId: deterministicId('bench-write', requestId),
    entityType: 'Patient',
    source: { dataSourceId: origin === 'voice' ? 'voice-line' : 'agent-engine', system: origin, resourceType: 'Patient', externalId: requestId },
    attributes: origin === 'voice'
      ? { phone: JSON.stringify(`+1555${String(2_000_000 + i).slice(-7)}`) }
      : { email: JSON.stringify(`patient${patientIndex}@example.org`) },
    identifiers: [{ system: MRN_SYSTEM, value: mrn(patientIndex) }],
    confidence: WRITE_CONFIDENCE[origin],
    origin,
    observedAt: now,
    recordedAt: now,
    mappingVersion: `bench-${origin}@1`,
    causationId: requestId,
    category: 'demographics',
    deleted: false,
  };
  return { key: `${event.entityType}/${sourceKey(event.source)}`, value: event };
}
