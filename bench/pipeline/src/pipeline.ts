import { TOPICS } from '@cr/kafka';
import { eventually, FhirPeer, freePort, newRun, ServiceProcess, type TestRun } from '@cr/e2e';
import { provision } from '../../../scripts/provision.ts';

/**
 * The pipeline under test, exactly as the end-to-end tests run it: every service
 * its own process on a fresh run (topic prefix, registry subjects, Postgres
 * schema), FHIR server A as the source and FHIR server B as the sink's target.
 */

export const SINK_ID = 'ehr-b';
export const SOURCE_ID = 'ehr-a';

/** Services on the data path, in pipeline order. The api is left out: no route of it is on this path yet. */
export const SERVICES = ['ingest', 'unification', 'resolution', 'review', 'projection', 'sink', 'dispatch'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Consumer groups and the topics they read: the pipeline has caught up when none lags. */
export const GROUPS: ReadonlyArray<{ group: string; topics: readonly string[] }> = [
  { group: 'unification', topics: [TOPICS.rawRecords] },
  { group: 'resolution', topics: [TOPICS.worldEvents] },
  { group: 'review', topics: [TOPICS.entityEvents] },
  { group: 'projection', topics: [TOPICS.entityEvents, TOPICS.reviewVerdicts] },
  { group: `sink-${SINK_ID}`, topics: [TOPICS.entityState] },
  { group: 'dispatch', topics: [TOPICS.entityState] },
];

export interface Pipeline {
  run: TestRun;
  ehrA: FhirPeer;
  ehrB: FhirPeer;
  services: Map<ServiceName, ServiceProcess>;
  /** Switches source A on: its Patients and Appointments polled every `intervalMs`. */
  enableSource(intervalMs: number): Promise<void>;
  stopServices(): Promise<void>;
  /** Stops everything and, unless `keep`, deletes the run's topics, subjects and schema. */
  close(keep: boolean): Promise<void>;
}

/**
 * `serviceNodeOptions` is added to the services' NODE_OPTIONS only (not the FHIR
 * servers'), to try a runtime setting such as `--max-semi-space-size=8`.
 */
/**
 * Source A is the load generator: it skips R4 validation of what it is sent, so
 * its CPU goes to serving ingest's searches rather than to checking generated
 * resources. B, the sink's target, validates every write as a real target would.
 */
async function startUnvalidated(peer: FhirPeer): Promise<void> {
  peer.port = await freePort();
  peer.proc.args = ['test/fhir-server/src/main.ts', '--port', String(peer.port), '--no-validate'];
  await peer.proc.start();
  await eventually(`${peer.proc.name} listening`, async () => ((await fetch(`${peer.url}/metadata`)).ok ? true : undefined), 30_000);
}

export async function startPipeline(serviceNodeOptions = '', sinkWritesPerSecond = 1_000): Promise<Pipeline> {
  const run = newRun('bench');
  // Per-record info lines are part of what the services cost; keep the level they run with.
  const ehrA = new FhirPeer('fhir-a', run.logDir);
  const ehrB = new FhirPeer('fhir-b', run.logDir);
  await Promise.all([startUnvalidated(ehrA), ehrB.start()]);
  await provision(run.env);
  const services = new Map<ServiceName, ServiceProcess>();
  for (const name of SERVICES) {
    const extra: NodeJS.ProcessEnv = name === 'sink' ? { SINK_ID, SINK_FHIR_BASE_URL: ehrB.url, SINK_WRITES_PER_SECOND: String(sinkWritesPerSecond) } : {};
    if (serviceNodeOptions) extra.NODE_OPTIONS = `${run.env.NODE_OPTIONS ?? ''} ${serviceNodeOptions}`.trim();
    const p = new ServiceProcess(name, [`services/${name}/src/main.ts`], { ...run.env, ...extra }, run.logDir);
    services.set(name, p);
    await p.start();
  }
  await Promise.all([...services.values()].map((p) => p.ready(120_000)));

  const stopServices = async (): Promise<void> => {
    await Promise.all([...services.values()].map((p) => p.kill('SIGTERM')));
  };

  return {
    run, ehrA, ehrB, services, stopServices,
    async enableSource(intervalMs) {
      const producer = run.kafka.producer();
      const now = Date.now();
      const config = { baseUrl: ehrA.url, resources: [{ type: 'Patient', intervalMs }, { type: 'Appointment', intervalMs }] };
      await producer.send(TOPICS.connectorConfig, [{
        key: SOURCE_ID,
        value: { id: SOURCE_ID, name: 'EHR A', type: 'fhir_store', enabled: true, configJson: JSON.stringify(config), revision: now, updatedAt: now },
      }]);
      await producer.disconnect();
    },
    async close(keep) {
      await stopServices();
      await Promise.all([ehrA.proc.kill('SIGTERM'), ehrB.proc.kill('SIGTERM')]);
      if (keep) await run.kafka.disconnect();
      else await run.cleanup();
    },
  };
}
