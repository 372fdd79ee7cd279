/**
 * Runs the ingest service as its own process against a fresh run (topic prefix,
 * Postgres schema) of the real local stack, and reads what it produced.
 */
import { deadLetterTopic, TOPICS, type ConsumedRecord, type RawRecord as KafkaRawRecord } from '@cr/kafka';
import type { RawRecord } from '@cr/world-model';
import { newRun, ServiceProcess, freePort, eventually, type TestRun } from '@cr/e2e';
import { provision } from '../../../scripts/provision.ts';

export interface SourceHealthRecord {
  dataSourceId: string; resourceType: string; status: string; recordCount: number; newRecordCount: number;
  errorCount: number; consecutiveErrors: number; lastErrorClass: string | null; lastError: string | null;
  connectorType: string; cycle: string | null; detail: string | null;
}

export interface IngestHarness {
  run: TestRun;
  ingest: ServiceProcess;
  webhookPort: number;
  configure(id: string, body: { name?: string; type: string; enabled?: boolean; config: unknown }): Promise<void>;
  rawRecords(dataSourceId?: string): Promise<RawRecord[]>;
  health(dataSourceId?: string): Promise<SourceHealthRecord[]>;
  deadLetters(dataSourceId?: string): Promise<KafkaRawRecord[]>;
  /** Waits until `check` over the raw records returns a value. */
  eventuallyRaw<T>(what: string, check: (records: RawRecord[]) => T | undefined, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export async function startIngest(label: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<IngestHarness> {
  const run = newRun(label);
  await provision(run.env);
  const webhookPort = await freePort();
  const ingest = new ServiceProcess('ingest', ['services/ingest/src/main.ts'], { ...run.env, INGEST_WEBHOOK_PORT: String(webhookPort), ...extraEnv }, run.logDir);
  await ingest.start();
  await ingest.ready();
  const producer = run.kafka.producer({ stage: 'test' });
  await producer.connect();
  const values = async <V>(topic: string): Promise<V[]> => (await run.kafka.readAll<V>(topic, { timeoutMs: 5_000 })).map((r: ConsumedRecord<V>) => r.value);
  const h: IngestHarness = {
    run, ingest, webhookPort,
    async configure(id, body) {
      const now = Date.now();
      await producer.send(TOPICS.connectorConfig, [{ key: id, value: { id, name: body.name ?? id, type: body.type, enabled: body.enabled ?? true, configJson: JSON.stringify(body.config), revision: now, updatedAt: now } }]);
    },
    async rawRecords(dataSourceId) {
      return (await values<RawRecord>(TOPICS.rawRecords)).filter((r) => !dataSourceId || r.dataSourceId === dataSourceId);
    },
    async health(dataSourceId) {
      return (await values<SourceHealthRecord>(TOPICS.sourceHealth)).filter((r) => !dataSourceId || r.dataSourceId === dataSourceId);
    },
    async deadLetters(dataSourceId) {
      return (await run.kafka.readAllRaw(deadLetterTopic('ingest'), { timeoutMs: 5_000 })).filter((r) => !dataSourceId || r.headers['dlq.data-source'] === dataSourceId);
    },
    eventuallyRaw: (what, check, timeoutMs = 30_000) => eventually(what, async () => check(await h.rawRecords()), timeoutMs, 500),
    async stop() {
      await ingest.kill('SIGTERM');
      await producer.disconnect();
      if (!process.env.KEEP_TEST_DATA) await run.cleanup();
    },
  };
  return h;
}

/** Counts of raw records per `resourceType/externalId`. */
export function countByKey(records: readonly RawRecord[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of records) m.set(`${r.resourceType}/${r.externalId}`, (m.get(`${r.resourceType}/${r.externalId}`) ?? 0) + 1);
  return m;
}
