import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import type { Logger } from '@cr/core';
import { topicNamer } from './catalogue.ts';
import { fromKafkaError } from './kafka-errors.ts';
import { kafkaLogCreator } from './kafka.ts';
import { applyKafkajsTimerFix } from './kafkajs-timer-fix.ts';

/**
 * The client's own limit, for benchmarks: raw bytes produced and consumed with
 * kafkajs and no processing at all (no Avro, no handler, no commits). Kept here
 * because no other package may import kafkajs.
 */

export interface RawPerfOptions {
  brokers: readonly string[];
  logger: Logger;
  /** Prefix of the run, as for createKafka. */
  topicPrefix?: string;
}

export interface RawProduceOptions {
  /** Logical topic name; must exist. */
  topic: string;
  count: number;
  /** Bytes per value (random content, null key, like the broker's perf tool). */
  valueSize: number;
  /** Messages per request. Default 1000. */
  batchSize?: number;
}

export interface RawConsumeOptions {
  topic: string;
  /** Stop after this many messages. */
  count: number;
  /** Give up after this long. Default 60 s. */
  timeoutMs?: number;
}

export interface PerfFigure {
  messages: number;
  bytes: number;
  seconds: number;
  messagesPerSecond: number;
  mbPerSecond: number;
}

export interface RawPerf {
  /** Idempotent producer, acks=all, one request in flight: the settings the pipeline's producer uses. */
  produce(options: RawProduceOptions): Promise<PerfFigure>;
  /** A fresh group from the beginning; time runs from the first fetched batch (group join excluded, as in the broker tool's fetch rate). */
  consume(options: RawConsumeOptions): Promise<PerfFigure>;
}

function figure(messages: number, bytes: number, ms: number): PerfFigure {
  const seconds = Math.max(ms, 1) / 1000;
  return { messages, bytes, seconds, messagesPerSecond: messages / seconds, mbPerSecond: bytes / 1_048_576 / seconds };
}

export function createRawPerf(options: RawPerfOptions): RawPerf {
  applyKafkajsTimerFix();
  const namer = topicNamer(options.topicPrefix ?? '');
  const kafka = new Kafka({
    clientId: 'raw-perf',
    brokers: [...options.brokers],
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(options.logger),
  });

  return {
    async produce({ topic, count, valueSize, batchSize = 1000 }) {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
      const value = Buffer.alloc(valueSize, 'x');
      const batch: Message[] = Array.from({ length: batchSize }, () => ({ key: null, value }));
      try {
        await producer.connect();
        const started = performance.now();
        for (let sent = 0; sent < count; sent += batchSize) {
          const n = Math.min(batchSize, count - sent);
          await producer.send({ topic: namer.physical(topic), acks: -1, messages: n === batchSize ? batch : batch.slice(0, n) });
        }
        return figure(count, count * valueSize, performance.now() - started);
      } catch (err) {
        throw fromKafkaError(err, `raw produce to ${topic}`);
      } finally {
        await producer.disconnect().catch(() => undefined);
      }
    },

    async consume({ topic, count, timeoutMs = 60_000 }) {
      const groupId = namer.physical(`raw-perf-${randomUUID()}`);
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100, maxBytes: 50 * 1_048_576 });
      const admin = kafka.admin();
      let seen = 0;
      let bytes = 0;
      let first: number | undefined;
      let last = 0;
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [namer.physical(topic)], fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`raw consume of ${topic}: ${seen} of ${count} messages within ${timeoutMs} ms`)), timeoutMs);
          consumer.run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              first ??= performance.now();
              for (const m of batch.messages) bytes += m.value?.length ?? 0;
              seen += batch.messages.length;
              last = performance.now();
              if (seen >= count) { clearTimeout(timer); resolve(); }
            },
          }).catch(reject);
        });
        return figure(seen, bytes, last - (first ?? last));
      } catch (err) {
        throw fromKafkaError(err, `raw consume of ${topic}`);
      } finally {
        await consumer.disconnect().catch(() => undefined);
        await admin.connect().then(() => admin.deleteGroups([groupId])).catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}
