/**
 * Helpers for dispatch's end-to-end specs: source records written as world
 * events (resolution and projection turn them into entity.state, as in
 * production), dispatch processes configured by DISPATCH_CONFIG, and what
 * dispatch did (its task table, the projected OutboundTask entities).
 */
import pg from 'pg';
import { TOPICS, type Producer } from '@cr/kafka';
import type { OutboundTask, WorldEvent } from '@cr/world-model';
import { provision } from '../../../scripts/provision.ts';
import { newRun, type TestRun } from './env.ts';
import { ServiceProcess } from './processes.ts';

export const MRN = 'urn:oid:2.16.840.1.113883.19.5';
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface DispatchRun {
  run: TestRun;
  db: pg.Client;
  processes: Map<string, ServiceProcess>;
  service(name: string, label?: string, env?: NodeJS.ProcessEnv): ServiceProcess;
  /** Writes a source record of `ehr` as a world event (what unification would emit). */
  record(ehr: string, resourceType: string, externalId: string, attributes: Record<string, unknown>, identifiers?: { system: string; value: string }[]): Promise<void>;
  tasks(): Promise<OutboundTask[]>;
  task(taskId: string): Promise<OutboundTask | undefined>;
  /** The projected OutboundTask entity of a task (entity.state read model), as plain fields. */
  projectedTask(taskId: string): Promise<Record<string, unknown> | undefined>;
  stop(): Promise<void>;
}

export async function startDispatchRun(label: string): Promise<DispatchRun> {
  const run = newRun(label);
  await provision(run.env);
  const db = new pg.Client({ connectionString: run.env.DATABASE_URL });
  await db.connect();
  const processes = new Map<string, ServiceProcess>();
  let producer: Producer | undefined;
  let seq = 0;
  const schema = run.id;

  return {
    run, db, processes,
    service(name, label = name, env = {}) {
      const p = new ServiceProcess(label, [`services/${name}/src/main.ts`], { ...run.env, ...env }, run.logDir);
      processes.set(label, p);
      return p;
    },
    async record(ehr, resourceType, externalId, attributes, identifiers = []) {
      producer ??= run.kafka.producer();
      const n = ++seq;
      const event: WorldEvent = {
        eventId: `${run.id}-${ehr}-${resourceType}-${externalId}-${n}`, entityType: resourceType,
        source: { dataSourceId: ehr, system: `http://${ehr}.test/fhir/R4`, resourceType, externalId },
        attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, JSON.stringify(v)])),
        identifiers, confidence: 1, origin: 'ehr_sync', observedAt: Date.now(), recordedAt: Date.now(),
        mappingVersion: `fhir-r4-${resourceType.toLowerCase()}@1`, causationId: `raw-${n}`, category: null, deleted: false,
      };
      await producer.send(TOPICS.worldEvents, [{ key: `${resourceType}/${ehr}/${resourceType}/${externalId}`, value: event }]);
    },
    async tasks() {
      const { rows } = await db.query<{ state: OutboundTask }>(`select state from "${schema}".dispatch_tasks order by task_id`).catch(() => ({ rows: [] as { state: OutboundTask }[] }));
      return rows.map((r) => r.state);
    },
    async task(taskId) {
      const { rows } = await db.query<{ state: OutboundTask }>(`select state from "${schema}".dispatch_tasks where task_id = $1`, [taskId]).catch(() => ({ rows: [] as { state: OutboundTask }[] }));
      return rows[0]?.state;
    },
    async projectedTask(taskId) {
      const { rows } = await db.query<{ fields: Record<string, unknown> }>(
        `select fields from "${schema}".entity_state where entity_type = 'OutboundTask' and fields @> $1::jsonb`, [JSON.stringify({ taskId })],
      ).catch(() => ({ rows: [] as { fields: Record<string, unknown> }[] }));
      return rows[0]?.fields;
    },
    async stop() {
      await Promise.all([...processes.values()].map((p) => p.kill('SIGTERM')));
      await producer?.disconnect();
      if (!process.env.KEEP_TEST_DATA) await run.cleanup();
      await db.end();
    },
  };
}

/** Patient attributes with a distinct name and birth date, so resolution never merges two test patients. */
export function patientAttributes(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const names = ['Okonkwo', 'Lindqvist', 'Haddad', 'Moreau', 'Tanaka', 'Oyelaran', 'Kowalczyk', 'Brennan', 'Vasquez', 'Nakamura', 'Achterberg', 'Delacroix', 'Fitzgerald', 'Ramaswamy', 'Quispe', 'Zielinski'];
  return {
    'name.family': names[i % names.length]!, 'name.given': [`Given${String.fromCharCode(65 + i)}`],
    birthDate: `19${60 + i}-0${1 + (i % 9)}-${10 + i}`, phone: `+1555${String(2_000_000 + i * 7919).slice(-7)}`, ...extra,
  };
}
