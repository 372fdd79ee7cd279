import { setTimeout as sleep } from 'node:timers/promises';
import { TOPICS, type Producer } from '@cr/kafka';
import { createBatch } from './fhir-load.ts';
import { agentWrite, appointment, patient, type WriteOrigin } from './workload.ts';

/**
 * Offers the pipeline a steady mix of events for a while: new Patients and
 * Appointments created in source A (ingest picks them up on its next poll),
 * and voice and agent writes produced onto world.events. Open loop: a slow
 * tick is made up on the next one, so the offered rate holds.
 */

export interface PacedOptions {
  fhirUrl: string;
  producer: Producer;
  runId: string;
  rate: number;
  seconds: number;
  shares: { appointment: number; agent: number; voice: number };
  /** Index of the first new Patient (the backlog holds 0 .. firstPatient-1). */
  firstPatient: number;
  firstAppointment: number;
  firstWrite: number;
  /** Patients writes and appointments may refer to: 0 .. knownPatients-1. */
  knownPatients: number;
}

export interface PacedResult {
  offered: { Patient: number; Appointment: number; agent: number; voice: number };
  seconds: number;
  ratePerSecond: number;
  /** Ticks that took longer than the tick itself (the generator fell behind). */
  lateTicks: number;
  /** Why generating stopped early, if it did (e.g. source A refused a batch). */
  error: string | null;
}

const TICK_MS = 100;

export async function runPaced(o: PacedOptions): Promise<PacedResult> {
  const shares = { Patient: 1 - o.shares.appointment - o.shares.agent - o.shares.voice, Appointment: o.shares.appointment, agent: o.shares.agent, voice: o.shares.voice };
  const offered = { Patient: 0, Appointment: 0, agent: 0, voice: 0 };
  const started = Date.now();
  const end = started + o.seconds * 1000;
  let lateTicks = 0;
  let error: string | null = null;
  let writes = o.firstWrite;
  const pick = (n: number): number => (n * 7919) % Math.max(1, o.knownPatients);
  for (let tick = 1; ; tick++) {
    const tickStart = Date.now();
    const elapsed = Math.min(tickStart, end) - started;
    const due = (kind: keyof typeof offered): number => Math.floor((o.rate * shares[kind] * elapsed) / 1000) - offered[kind];
    const resources: Record<string, unknown>[] = [];
    for (let i = due('Patient'); i > 0; i--) resources.push(patient(o.firstPatient + offered.Patient++));
    for (let i = due('Appointment'); i > 0; i--) {
      const n = o.firstAppointment + offered.Appointment++;
      resources.push(appointment(n, pick(n), started));
    }
    const messages = [];
    for (const origin of ['agent', 'voice'] as WriteOrigin[]) {
      for (let i = due(origin); i > 0; i--) {
        offered[origin]++;
        const n = writes++;
        messages.push(agentWrite(origin, n, pick(n), o.runId, Date.now()));
      }
    }
    try {
      await Promise.all([
        resources.length ? createBatch(o.fhirUrl, resources) : undefined,
        messages.length ? o.producer.send(TOPICS.worldEvents, messages) : undefined,
      ]);
    } catch (err) {
      error = (err as Error).message;
      break;
    }
    if (tickStart >= end) break;
    const next = started + tick * TICK_MS;
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    else lateTicks++;
  }
  const seconds = (Date.now() - started) / 1000;
  const total = offered.Patient + offered.Appointment + offered.agent + offered.voice;
  // Over the real elapsed time: when source A or the broker cannot take the load, the offered rate shows it.
  return { offered, seconds, ratePerSecond: total / seconds, lateTicks, error };
}
