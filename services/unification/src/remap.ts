/**
 * Replays history through the current mapping rules:
 *
 *   node scripts/remap.ts --data-source <id> [--resource-type <type>]
 *   node scripts/remap.ts --all
 *
 * Streams `ingest.raw-records.v1` from the beginning with a consumer group of its
 * own (the live unification service keeps running), maps the chosen source's
 * records with the rules now in `connector.config` (else the built-in ones) and
 * publishes the events to `world.events.v1`. Event ids are derived from the raw
 * record and the rule-set version: under new rules every event is new (and
 * carries the new version); under unchanged rules the ids repeat and every
 * downstream stage ignores them. It stops at the end of the topic as it was when
 * it started, and prints what it did. Reads KAFKA_BROKERS, REGISTRY_URL and
 * TOPIC_PREFIX like the services.
 */
import { parseArgs } from 'node:util';
import { createLogger, describeError, PipelineError } from '@cr/core';
import { createKafka, TOPICS, type KafkaClient } from '@cr/kafka';
import type { RawRecord } from '@cr/world-model';
import { createRuleRegistry, type DataSourceMessage } from './rule-registry.ts';
import { unify, worldEventKey } from './unify.ts';

export interface RemapOptions {
  /** Undefined: every data source. */
  dataSourceId?: string;
  resourceType?: string;
}

export interface RemapResult {
  read: number;
  remapped: number;
  deadLettered: number;
  byMapping: Record<string, number>;
}

export async function remap(kafka: KafkaClient, options: RemapOptions, timeoutMs = 600_000): Promise<RemapResult> {
  const registry = createRuleRegistry();
  for (const r of await kafka.readAll<DataSourceMessage | null>(TOPICS.connectorConfig, { timeoutMs: 15_000 })) {
    try { registry.apply(r.value?.id ?? r.key ?? '', r.value); } catch { /* an invalid mapping stays refused, as in the service */ }
  }
  const result: RemapResult = { read: 0, remapped: 0, deadLettered: 0, byMapping: {} };
  // Where the topic ends now: partition -> last offset to reach.
  const pending = new Map<number, bigint>();
  for (const p of await kafka.admin.endOffsets(TOPICS.rawRecords)) if (BigInt(p.offset) > 0n) pending.set(p.partition, BigInt(p.offset) - 1n);
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  if (pending.size === 0) finish();
  const groupId = `unification-remap-${Date.now().toString(36)}`;
  const consumer = await kafka.runConsumer<RawRecord>({
    groupId,
    topics: [TOPICS.rawRecords],
    stage: 'unification',
    fromBeginning: true,
    retry: { maxAttempts: 3 },
    handle: async (record) => {
      const last = pending.get(record.partition);
      if (last !== undefined && BigInt(record.offset) >= last) { pending.delete(record.partition); if (pending.size === 0) setImmediate(finish); }
      const raw = record.value;
      if ((options.dataSourceId && raw.dataSourceId !== options.dataSourceId) || (options.resourceType && raw.resourceType !== options.resourceType)) return [];
      result.read++;
      try {
        const event = unify(raw, registry.ruleSetsFor(raw.dataSourceId));
        result.remapped++;
        result.byMapping[event.mappingVersion] = (result.byMapping[event.mappingVersion] ?? 0) + 1;
        return [{ topic: TOPICS.worldEvents, key: worldEventKey(event), value: event }];
      } catch (error) {
        if (error instanceof PipelineError && !error.retriable) result.deadLettered++;
        throw error;
      }
    },
  });
  const timer = setTimeout(finish, timeoutMs);
  await finished;
  clearTimeout(timer);
  // stop() produces and commits what is done before it returns.
  await consumer.stop();
  await kafka.admin.deleteGroups([groupId]).catch(() => undefined);
  if (pending.size) throw new Error(`remap stopped after ${timeoutMs} ms with ${pending.size} partitions unread`);
  return result;
}

export async function main(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'data-source': { type: 'string' }, 'resource-type': { type: 'string' }, all: { type: 'boolean', default: false } } });
  if (!values['data-source'] && !values.all) {
    process.stderr.write('usage: remap.ts --data-source <id> [--resource-type <type>] | --all\n');
    return 2;
  }
  const kafka = createKafka({
    brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    registryUrl: env.REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
    clientId: 'unification-remap',
    logger: createLogger({ name: 'remap', level: env.LOG_LEVEL ?? 'warn' }),
    topicPrefix: env.TOPIC_PREFIX ?? '',
  });
  try {
    const r = await remap(kafka, { ...(values['data-source'] ? { dataSourceId: values['data-source'] } : {}), ...(values['resource-type'] ? { resourceType: values['resource-type'] } : {}) });
    process.stdout.write(`remapped ${r.remapped} of ${r.read} raw records (${r.deadLettered} dead-lettered): ${JSON.stringify(r.byMapping)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`remap failed: ${describeError(error).message}\n`);
    return 1;
  } finally {
    await kafka.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
