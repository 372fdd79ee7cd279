import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@cr/core';
import type { TopicNamer } from './catalogue.ts';
import { decodeMessage, headersToStrings } from './consumer.ts';
import { fromKafkaError } from './kafka-errors.ts';
import type { RegistryCodec } from './registry.ts';
import type { ConsumedRecord, RawRecord } from './types.ts';

export interface ReadAllOptions<R> {
  /** Default true. With false only messages written after the call are seen. */
  fromBeginning?: boolean;
  /** Gives up waiting after this long and returns what it has. Default 10 s. */
  timeoutMs?: number;
  /**
   * Stops as soon as this returns true. Without it, reading stops at the end of
   * the topic as it was when the call started.
   */
  until?: (records: readonly R[]) => boolean;
}

export interface ReadAllDeps {
  kafka: Kafka;
  codec: RegistryCodec;
  namer: TopicNamer;
  logger: Logger;
}

/** With `emit`, each record goes to it and none is kept (the returned array stays empty). */
async function read<R>(deps: ReadAllDeps, topic: string, options: ReadAllOptions<R>, convert: (partition: number, m: KafkaMessage) => Promise<R>, emit?: (record: R) => void): Promise<R[]> {
  const { kafka, namer } = deps;
  const physical = namer.physical(topic);
  const fromBeginning = options.fromBeginning ?? true;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const groupId = `${namer.prefix}readall-${randomUUID()}`;
  const admin = kafka.admin();
  const records: R[] = [];
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  try {
    await admin.connect();
    // End of the topic as of now: partition -> last offset to wait for.
    const waitFor = new Map<number, bigint>();
    if (!options.until && fromBeginning) {
      for (const p of await admin.fetchTopicOffsets(physical)) {
        if (BigInt(p.high) > BigInt(p.low)) waitFor.set(p.partition, BigInt(p.high) - 1n);
      }
      if (waitFor.size === 0) return records;
    }
    let failure: unknown;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => { finish = resolve; });
    const timer = setTimeout(finish, timeoutMs);
    const check = (): void => {
      if (options.until ? options.until(records) : waitFor.size === 0) finish();
    };
    await consumer.connect();
    await consumer.subscribe({ topics: [physical], fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (failure) return;
        try {
          const record = await convert(partition, message);
          if (emit) emit(record);
          else records.push(record);
        } catch (err) {
          failure = err;
          finish();
          return;
        }
        const target = waitFor.get(partition);
        if (target !== undefined && BigInt(message.offset) >= target) waitFor.delete(partition);
        check();
      },
    });
    check();
    await finished;
    clearTimeout(timer);
    if (failure) throw failure;
    return records;
  } catch (err) {
    throw fromKafkaError(err, `read ${topic}`);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Reads a topic with a throwaway group and returns the decoded records. */
export function readAll<V = unknown>(deps: ReadAllDeps, topic: string, options: ReadAllOptions<ConsumedRecord<V>> = {}): Promise<ConsumedRecord<V>[]> {
  return read(deps, topic, options, (partition, m) => decodeMessage<V>(deps.codec, topic, partition, m));
}

/**
 * Reads a topic to its end as of the call with a throwaway group, handing each
 * decoded record to `onRecord` without keeping any: for folding a large topic
 * (e.g. the latest version per key) in little memory. Resolves with the count.
 */
export async function forEachRecord<V = unknown>(deps: ReadAllDeps, topic: string, onRecord: (record: ConsumedRecord<V>) => void, options: Omit<ReadAllOptions<never>, 'until'> = {}): Promise<number> {
  let n = 0;
  await read<ConsumedRecord<V>>(deps, topic, options, (partition, m) => decodeMessage<V>(deps.codec, topic, partition, m), (r) => { n++; onRecord(r); });
  return n;
}

/** Same as readAll, without decoding (dead-letter topics, tools). */
export function readAllRaw(deps: ReadAllDeps, topic: string, options: ReadAllOptions<RawRecord> = {}): Promise<RawRecord[]> {
  return read(deps, topic, options, async (partition, m) => ({
    topic, partition, offset: m.offset,
    key: m.key === null ? null : m.key.toString('utf8'),
    rawKey: m.key,
    value: m.value,
    headers: headersToStrings(m.headers),
    timestamp: Number(m.timestamp),
  }));
}
