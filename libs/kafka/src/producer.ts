import { Partitioners, type Kafka, type Message, type Producer as KafkaProducer, type Transaction } from 'kafkajs';
import type { Logger } from '@cr/core';
import type { Registry } from 'prom-client';
import type { TopicNamer } from './catalogue.ts';
import { fromKafkaError } from './kafka-errors.ts';
import { kafkaMetrics, type KafkaMetrics } from './metrics.ts';
import type { RegistryCodec } from './registry.ts';
import type { Headers, OutgoingMessage, OutputMessage, RawMessage } from './types.ts';

export interface ProducerOptions {
  /** Turns on transactions (consume-transform-produce); unique per instance. */
  transactionalId?: string;
  /** Label of `cr_messages_produced_total`; default `producer`. */
  stage?: string;
  /** Registry for the produced-messages counter; none: no metrics. */
  metricsRegistry?: Registry;
  /** The client's own retry of a failed send (leader moves, unknown topic). */
  retry?: { retries?: number; initialRetryTime?: number; maxRetryTime?: number };
  /** Broker-side ack timeout per request, ms. Default 30 s. */
  ackTimeoutMs?: number;
  /** Transaction timeout, ms. Default 60 s. */
  transactionTimeoutMs?: number;
}

/** Offsets to commit with a transaction: the NEXT offset to read, per partition. */
export interface TransactionOffsets {
  consumerGroupId: string;
  offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>;
}

export interface TransactionSender {
  sendPrepared(messages: readonly PreparedMessage[]): Promise<void>;
  send<V>(topic: string, messages: readonly OutgoingMessage<V>[]): Promise<void>;
  sendMany(messages: readonly OutputMessage[]): Promise<void>;
  sendRaw(topic: string, messages: readonly RawMessage[]): Promise<void>;
  sendOffsets(offsets: TransactionOffsets): Promise<void>;
}

/** A message already encoded, ready to send (see `prepare`). */
export interface PreparedMessage {
  topic: string;
  key: string | Buffer | null;
  value: Buffer | null;
  headers?: Headers;
}

export interface Producer {
  connect(): Promise<void>;
  /** Encodes messages without sending them (SchemaError for a misfit value). */
  prepare(messages: readonly OutputMessage[]): Promise<PreparedMessage[]>;
  /** Sends encoded/raw messages to their topics; resolves when all are acknowledged. */
  sendPrepared(messages: readonly PreparedMessage[]): Promise<void>;
  /**
   * Encodes the values with the topic's schema and resolves once every message
   * is acknowledged by all in-sync replicas. Throws SchemaError for a value
   * that does not fit; TransportError when the brokers do not acknowledge.
   */
  send<V>(topic: string, messages: readonly OutgoingMessage<V>[]): Promise<void>;
  /** Same, for messages addressed to several topics; one request where possible. */
  sendMany(messages: readonly OutputMessage[]): Promise<void>;
  /** Bytes as they are (dead letters, tools). */
  sendRaw(topic: string, messages: readonly RawMessage[]): Promise<void>;
  /** Runs `fn` in a transaction: committed if it resolves, aborted if it throws. Needs `transactionalId`. */
  transaction<T>(fn: (tx: TransactionSender) => Promise<T>): Promise<T>;
  readonly transactional: boolean;
  disconnect(): Promise<void>;
}

export interface ProducerDeps {
  kafka: Kafka;
  codec: RegistryCodec;
  namer: TopicNamer;
  logger: Logger;
}

const ACKS_ALL = -1;

function toHeaders(headers: Headers | undefined): Record<string, string> | undefined {
  return headers && Object.keys(headers).length ? { ...headers } : undefined;
}

export function createProducer(deps: ProducerDeps, options: ProducerOptions = {}): Producer {
  const { kafka, codec, namer } = deps;
  const log = deps.logger.child({ component: 'producer', ...(options.transactionalId ? { transactionalId: options.transactionalId } : {}) });
  const stage = options.stage ?? 'producer';
  const metrics: KafkaMetrics | undefined = options.metricsRegistry ? kafkaMetrics(options.metricsRegistry) : undefined;
  const producer: KafkaProducer = kafka.producer({
    idempotent: true,
    // Idempotence in this client is only safe with one request in flight per connection.
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    ...(options.transactionalId ? { transactionalId: options.transactionalId, transactionTimeout: options.transactionTimeoutMs ?? 60_000 } : {}),
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000, ...options.retry },
  });
  const ackTimeout = options.ackTimeoutMs ?? 30_000;

  let connecting: Promise<void> | undefined;
  const connect = (): Promise<void> => {
    connecting ??= producer.connect().catch((err: unknown) => {
      connecting = undefined;
      throw fromKafkaError(err, 'producer connect');
    });
    return connecting;
  };

  // Sends are serialised: the client's idempotent sequence numbers are not safe
  // under concurrent sends, and ordering per key must hold.
  let queue: Promise<unknown> = Promise.resolve();
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }

  async function prepare(messages: readonly OutputMessage[]): Promise<PreparedMessage[]> {
    const out: PreparedMessage[] = [];
    for (const m of messages) {
      const value = m.value === null || m.value === undefined ? null : await codec.encode(m.topic, m.value);
      out.push({ topic: m.topic, key: m.key, value, ...(m.headers ? { headers: m.headers } : {}) });
    }
    return out;
  }

  function group(messages: readonly PreparedMessage[]): Map<string, Message[]> {
    const byTopic = new Map<string, Message[]>();
    for (const m of messages) {
      const physical = namer.physical(m.topic);
      const list = byTopic.get(physical) ?? [];
      const headers = toHeaders(m.headers);
      list.push({ key: m.key, value: m.value, ...(headers ? { headers } : {}) });
      byTopic.set(physical, list);
    }
    return byTopic;
  }

  async function encodeAll(messages: readonly OutputMessage[]): Promise<Map<string, Message[]>> {
    return group(await prepare(messages));
  }

  function rawAll(topic: string, messages: readonly RawMessage[]): Map<string, Message[]> {
    return new Map([[namer.physical(topic), messages.map((m) => {
      const headers = toHeaders(m.headers);
      return { key: m.key, value: m.value, ...(headers ? { headers } : {}) };
    })]]);
  }

  function count(byTopic: Map<string, Message[]>): void {
    if (!metrics) return;
    for (const [physical, list] of byTopic) metrics.produced.inc({ stage, topic: namer.logical(physical) }, list.length);
  }

  async function deliver(sender: Pick<KafkaProducer, 'sendBatch'>, byTopic: Map<string, Message[]>, counted = true): Promise<void> {
    if (byTopic.size === 0) return;
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    try {
      await sender.sendBatch({ topicMessages, acks: ACKS_ALL, timeout: ackTimeout });
    } catch (err) {
      throw fromKafkaError(err, `produce to ${[...byTopic.keys()].map((t) => namer.logical(t)).join(',')}`);
    }
    if (counted) count(byTopic);
  }

  const api: Producer = {
    connect,
    prepare,
    async sendPrepared(messages) {
      if (messages.length === 0) return;
      await connect();
      await exclusive(() => deliver(producer, group(messages)));
    },
    transactional: Boolean(options.transactionalId),

    async send(topic, messages) {
      if (messages.length === 0) return;
      const byTopic = await encodeAll(messages.map((m) => ({ ...m, topic })));
      await connect();
      await exclusive(() => deliver(producer, byTopic));
    },

    async sendMany(messages) {
      if (messages.length === 0) return;
      const byTopic = await encodeAll(messages);
      await connect();
      await exclusive(() => deliver(producer, byTopic));
    },

    async sendRaw(topic, messages) {
      if (messages.length === 0) return;
      await connect();
      await exclusive(() => deliver(producer, rawAll(topic, messages)));
    },

    async transaction(fn) {
      if (!options.transactionalId) throw new Error('transaction() needs a producer created with transactionalId');
      await connect();
      return exclusive(async () => {
        let tx: Transaction;
        try {
          tx = await producer.transaction();
        } catch (err) {
          throw fromKafkaError(err, 'begin transaction');
        }
        const pending: Array<Map<string, Message[]>> = [];
        const sender: TransactionSender = {
          sendPrepared: async (messages) => {
            const byTopic = group(messages);
            await deliver(tx, byTopic, false);
            pending.push(byTopic);
          },
          send: async (topic, messages) => {
            const byTopic = await encodeAll(messages.map((m) => ({ ...m, topic })));
            await deliver(tx, byTopic, false);
            pending.push(byTopic);
          },
          sendMany: async (messages) => {
            const byTopic = await encodeAll(messages);
            await deliver(tx, byTopic, false);
            pending.push(byTopic);
          },
          sendRaw: async (topic, messages) => {
            const byTopic = rawAll(topic, messages);
            await deliver(tx, byTopic, false);
            pending.push(byTopic);
          },
          sendOffsets: async ({ consumerGroupId, offsets }) => {
            const topics = new Map<string, Array<{ partition: number; offset: string }>>();
            for (const o of offsets) {
              const physical = namer.physical(o.topic);
              topics.set(physical, [...(topics.get(physical) ?? []), { partition: o.partition, offset: o.offset }]);
            }
            try {
              await tx.sendOffsets({ consumerGroupId, topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) });
            } catch (err) {
              throw fromKafkaError(err, 'send offsets to transaction');
            }
          },
        };
        try {
          const result = await fn(sender);
          await tx.commit();
          pending.forEach(count);
          return result;
        } catch (err) {
          try {
            await tx.abort();
          } catch (abortErr) {
            log.warn({ err: abortErr }, 'transaction.abort_failed');
          }
          throw fromKafkaError(err, 'transaction');
        }
      });
    },

    async disconnect() {
      await queue;
      connecting = undefined;
      await producer.disconnect();
    },
  };
  return api;
}
