import type { Consumer as KafkaConsumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { backoffDelay, describeError, isRetriable, sleep, SchemaError, type Logger, type RetryOptions } from '@cr/core';
import type { Registry } from 'prom-client';
import { deadLetterTopic, type TopicNamer } from './catalogue.ts';
import { fromKafkaError } from './kafka-errors.ts';
import { inheritSensedAt, latencyObserver, sensedAtOf, type FinishedRecord } from './latency.ts';
import { kafkaMetrics, type KafkaMetrics } from './metrics.ts';
import type { PreparedMessage, Producer, ProducerOptions } from './producer.ts';
import type { RegistryCodec } from './registry.ts';
import type { ConsumedRecord, Headers, OutputMessage } from './types.ts';

export interface HandlerContext {
  /** 1 on the first try, 2 on the first retry, ... */
  attempt: number;
  /** Keeps group membership alive during long work. */
  heartbeat(): Promise<void>;
}

/** Maps one record to the messages it causes. Throw a retriable PipelineError to be retried. */
export type RecordHandler<V> = (record: ConsumedRecord<V>, ctx: HandlerContext) => Promise<readonly OutputMessage[]> | readonly OutputMessage[];

/** Per record, in order: its outputs, or the Error it failed with (retriable ones are retried). */
export type BatchResult = readonly OutputMessage[] | Error;
export type BatchHandler<V> = (records: readonly ConsumedRecord<V>[], ctx: HandlerContext) => Promise<readonly BatchResult[]>;

export type HandlerRetry = Pick<RetryOptions, 'maxAttempts' | 'initialDelayMs' | 'maxDelayMs' | 'jitter'>;

export interface ConsumerOptions<V = unknown> {
  groupId: string;
  /** Logical topic names. */
  topics: readonly string[];
  /** Pipeline stage: names the dead-letter topic `<stage>.dead-letter.v1` and labels metrics. */
  stage: string;
  /** One record at a time. Give this or `handleBatch`. */
  handle?: RecordHandler<V>;
  /**
   * Up to `maxBatchSize` records of one partition at once (e.g. one DB write).
   * Returns one result per record. If it throws a non-retriable error the batch
   * is split in halves until the failing record is found and dead-lettered.
   */
  handleBatch?: BatchHandler<V>;
  maxBatchSize?: number;
  /** Where a new group starts: true (default) the beginning, false the end. */
  fromBeginning?: boolean;
  /** The service's prom-client registry. */
  metricsRegistry?: Registry;
  /** Handler retries for retriable errors; exhausted -> dead letter. Default 5 attempts, 500 ms .. 30 s. */
  retry?: Partial<HandlerRetry>;
  /** Retries of producing outputs; exhausted -> nothing committed, the client restarts and re-delivers. */
  produceRetry?: Partial<HandlerRetry>;
  /** Flush (produce + commit) after this many pending output messages. Default 500. */
  flushEvery?: number;
  /**
   * Exactly-once within Kafka: outputs, dead letters and offsets of each batch go
   * in one transaction. Unique per instance (e.g. `<service>-<pod>`).
   */
  transactionalId?: string;
  /** Options of the producer the consumer creates for its outputs. */
  producerOptions?: Omit<ProducerOptions, 'transactionalId' | 'stage' | 'metricsRegistry'>;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  maxWaitTimeMs?: number;
  /**
   * Partitions handled in parallel; order still holds per partition (so per key).
   * Default 3: a handler that waits on a database or an HTTP peer overlaps those
   * waits across partitions instead of queueing every partition behind one.
   */
  partitionsConsumedConcurrently?: number;
  /** Called when the client gives up for good (it restarts itself on retriable failures). */
  onCrash?: (error: Error) => void;
}

export interface RunningConsumer {
  readonly groupId: string;
  /** Resolves when the consumer has joined its group and got its assignment. */
  readonly ready: Promise<void>;
  /** Finishes the record in flight, produces and commits what is done, leaves the group, disconnects. */
  stop(): Promise<void>;
}

export interface ConsumerDeps {
  kafka: Kafka;
  codec: RegistryCodec;
  namer: TopicNamer;
  logger: Logger;
  createProducer(options: ProducerOptions): Producer;
}

const DEFAULT_HANDLER_RETRY: HandlerRetry = { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 30_000, jitter: 0.3 };
export const DEFAULT_PARTITIONS_CONCURRENTLY = 3;
const DEFAULT_PRODUCE_RETRY: HandlerRetry = { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 10_000, jitter: 0.3 };

/** Thrown inside a batch when the consumer is stopping: leave the record uncommitted. */
class Stopping extends Error {}

export function headersToStrings(headers: IHeaders | undefined): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

/** Turns a fetched message into a record, decoding its value. */
export async function decodeMessage<V>(codec: RegistryCodec, topic: string, partition: number, m: KafkaMessage): Promise<ConsumedRecord<V>> {
  const value = m.value === null ? null : await codec.decode(m.value);
  return {
    topic, partition, offset: m.offset,
    key: m.key === null ? null : m.key.toString('utf8'),
    value: value as V,
    headers: headersToStrings(m.headers),
    timestamp: Number(m.timestamp),
    schemaId: m.value === null ? undefined : m.value.readInt32BE(1),
  };
}

function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

export async function runConsumer<V = unknown>(deps: ConsumerDeps, options: ConsumerOptions<V>): Promise<RunningConsumer> {
  if (!options.handle === !options.handleBatch) throw new Error('runConsumer needs exactly one of handle or handleBatch');
  const { kafka, codec, namer } = deps;
  const { stage, groupId } = options;
  const log = deps.logger.child({ component: 'consumer', stage, groupId });
  const metrics: KafkaMetrics | undefined = options.metricsRegistry ? kafkaMetrics(options.metricsRegistry) : undefined;
  const handlerRetry: HandlerRetry = { ...DEFAULT_HANDLER_RETRY, ...options.retry };
  const produceRetry: HandlerRetry = { ...DEFAULT_PRODUCE_RETRY, ...options.produceRetry };
  const flushEvery = options.flushEvery ?? 500;
  const maxBatchSize = options.maxBatchSize ?? 500;
  const dlqTopic = deadLetterTopic(stage);
  const latency = latencyObserver(stage, metrics ? { stage: metrics.stageLatency, pipeline: metrics.pipelineLatency } : undefined);

  const producer = deps.createProducer({
    ...options.producerOptions,
    stage,
    ...(options.metricsRegistry ? { metricsRegistry: options.metricsRegistry } : {}),
    ...(options.transactionalId ? { transactionalId: options.transactionalId } : {}),
  });
  await producer.connect();

  // Group ids carry the run's prefix too, so each test run starts fresh.
  const physicalGroupId = namer.physical(groupId);
  const consumer: KafkaConsumer = kafka.consumer({
    groupId: physicalGroupId,
    allowAutoTopicCreation: false,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
    maxWaitTimeInMs: options.maxWaitTimeMs ?? 1_000,
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 },
  });

  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => undefined);
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    log.info({ memberAssignment: e.payload.memberAssignment }, 'consumer.joined');
    resolveReady();
  });
  consumer.on(consumer.events.CRASH, (e) => {
    const error = e.payload.error;
    log.error({ err: describeError(error), restart: e.payload.restart }, 'consumer.crash');
    if (!e.payload.restart) {
      rejectReady(error);
      options.onCrash?.(error);
    }
  });

  function deadLetter(topic: string, partition: number, m: KafkaMessage, error: unknown, attempt: number): PreparedMessage {
    const d = describeError(error);
    metrics?.deadLetters.inc({ stage, error_class: d.errorClass });
    log.warn({ topic, partition, offset: m.offset, errorClass: d.errorClass, errorName: d.name, error: d.message, attempt }, 'record.dead_letter');
    return {
      topic: dlqTopic,
      key: m.key,
      value: m.value,
      headers: {
        ...headersToStrings(m.headers),
        'dlq.stage': stage,
        'dlq.error.class': d.errorClass,
        'dlq.error.name': d.name,
        'dlq.error.message': d.message,
        'dlq.attempt': String(attempt),
        'dlq.source.topic': topic,
        'dlq.source.partition': String(partition),
        'dlq.source.offset': m.offset,
        'dlq.timestamp': new Date().toISOString(),
      },
    };
  }

  async function eachBatch(p: EachBatchPayload): Promise<void> {
    const topic = namer.logical(p.batch.topic);
    const partition = p.batch.partition;
    const ctxFor = (attempt: number): HandlerContext => ({ attempt, heartbeat: () => p.heartbeat() });

    /** Waits, heartbeating; gives up at once when the consumer stops. */
    async function pause(ms: number): Promise<void> {
      const until = Date.now() + ms;
      for (;;) {
        if (!p.isRunning() || p.isStale()) throw new Stopping();
        const left = until - Date.now();
        if (left <= 0) return;
        await sleep(Math.min(left, 1_000));
        await p.heartbeat();
      }
    }

    // Outputs and dead letters of finished records not yet acknowledged, and the
    // last finished offset: only after a successful flush is it resolved and committed.
    let pending: PreparedMessage[] = [];
    let doneOffset: string | undefined;
    let committedOffset: string | undefined;
    // Records finished since the last commit: their latency is observed once it succeeds.
    let finished: FinishedRecord[] = [];
    /** A record is done; `viaDeadLetter`: it did not pass the stage, so no end-to-end figure. */
    const finish = (m: KafkaMessage, headers: ConsumedRecord['headers'] | undefined, viaDeadLetter: boolean): void => {
      finished.push({ timestamp: Number(m.timestamp), sensedAt: viaDeadLetter ? undefined : sensedAtOf(headers) });
    };

    async function sendWithRetry(send: () => Promise<void>): Promise<void> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await send();
        } catch (err) {
          if (!isRetriable(err) || attempt >= produceRetry.maxAttempts || !p.isRunning()) throw err;
          const delayMs = backoffDelay(attempt, err, produceRetry);
          log.warn({ topic, partition, attempt, delayMs, err: describeError(err) }, 'produce.retry');
          await pause(delayMs);
        }
      }
    }

    const txOutputs: PreparedMessage[] = [];
    async function flush(): Promise<void> {
      if (options.transactionalId) {
        // Everything goes out in the batch's transaction at the end.
        txOutputs.push(...pending);
        pending = [];
        return;
      }
      if (pending.length) {
        const batch = pending;
        await sendWithRetry(() => producer.sendPrepared(batch));
        pending = [];
      }
      if (doneOffset !== undefined && doneOffset !== committedOffset) {
        const offset = doneOffset;
        p.resolveOffset(offset);
        try {
          // Not consumer.commitOffsets(): the client silently skips that once stop() began,
          // which would lose the commit of the last records handled before stopping.
          await p.commitOffsetsIfNecessary({ topics: [{ topic: p.batch.topic, partitions: [{ partition, offset: nextOffset(offset) }] }] });
        } catch (err) {
          throw fromKafkaError(err, `commit ${topic}[${partition}]@${offset}`);
        }
        committedOffset = offset;
      }
      latency.observe(finished, Date.now());
      finished = [];
    }

    async function decodeOrDeadLetter(m: KafkaMessage): Promise<{ record: ConsumedRecord<V> } | { dead: PreparedMessage }> {
      metrics?.consumed.inc({ stage, topic });
      for (let attempt = 1; ; attempt++) {
        try {
          return { record: await decodeMessage<V>(codec, topic, partition, m) };
        } catch (err) {
          if (err instanceof SchemaError || !isRetriable(err)) return { dead: deadLetter(topic, partition, m, err, attempt) };
          // Registry unreachable: not the record's fault. Retry, then give up uncommitted.
          if (attempt >= handlerRetry.maxAttempts) throw err;
          await flush();
          await pause(backoffDelay(attempt, err, handlerRetry));
        }
      }
    }

    async function processOne(m: KafkaMessage): Promise<void> {
      const decoded = await decodeOrDeadLetter(m);
      if ('dead' in decoded) {
        pending.push(decoded.dead);
        doneOffset = m.offset;
        finish(m, undefined, true);
        return;
      }
      const record = decoded.record;
      const handle = options.handle as RecordHandler<V>;
      for (let attempt = 1; ; attempt++) {
        const end = metrics?.handleDuration.startTimer({ stage });
        try {
          const outputs = await handle(record, ctxFor(attempt));
          const prepared = await producer.prepare(inheritSensedAt(outputs, record.headers));
          end?.();
          pending.push(...prepared);
          doneOffset = m.offset;
          finish(m, record.headers, false);
          return;
        } catch (err) {
          end?.();
          if (err instanceof Stopping) throw err;
          if (isRetriable(err) && attempt < handlerRetry.maxAttempts) {
            const d = describeError(err);
            metrics?.retries.inc({ stage, error_class: d.errorClass });
            const delayMs = backoffDelay(attempt, err, handlerRetry);
            log.info({ topic, partition, offset: m.offset, attempt, delayMs, errorClass: d.errorClass, error: d.message }, 'record.retry');
            await flush();
            await pause(delayMs);
            continue;
          }
          pending.push(deadLetter(topic, partition, m, err, attempt));
          doneOffset = m.offset;
          finish(m, record.headers, true);
          return;
        }
      }
    }

    async function processChunk(messages: readonly KafkaMessage[]): Promise<void> {
      const outcome = new Map<number, PreparedMessage[]>();
      const passed = new Map<number, ConsumedRecord<V>>();
      const items: Array<{ index: number; m: KafkaMessage; record: ConsumedRecord<V> }> = [];
      for (const [index, m] of messages.entries()) {
        const decoded = await decodeOrDeadLetter(m);
        if ('dead' in decoded) outcome.set(index, [decoded.dead]);
        else items.push({ index, m, record: decoded.record });
      }
      const handleBatch = options.handleBatch as BatchHandler<V>;

      async function run(set: typeof items, attempt: number): Promise<void> {
        if (set.length === 0) return;
        let results: readonly BatchResult[];
        const end = metrics?.handleDuration.startTimer({ stage });
        try {
          results = await handleBatch(set.map((s) => s.record), ctxFor(attempt));
          if (results.length !== set.length) throw new Error(`handleBatch returned ${results.length} results for ${set.length} records`);
        } catch (err) {
          end?.();
          if (err instanceof Stopping) throw err;
          if (isRetriable(err) && attempt < handlerRetry.maxAttempts) {
            metrics?.retries.inc({ stage, error_class: describeError(err).errorClass });
            await pause(backoffDelay(attempt, err, handlerRetry));
            return run(set, attempt + 1);
          }
          if (!isRetriable(err) && set.length > 1) {
            const half = Math.ceil(set.length / 2);
            await run(set.slice(0, half), attempt);
            await run(set.slice(half), attempt);
            return;
          }
          for (const s of set) outcome.set(s.index, [deadLetter(topic, partition, s.m, err, attempt)]);
          return;
        }
        end?.();
        const again: typeof items = [];
        for (const [j, s] of set.entries()) {
          const r = results[j];
          if (r instanceof Error) {
            if (isRetriable(r) && attempt < handlerRetry.maxAttempts) again.push(s);
            else outcome.set(s.index, [deadLetter(topic, partition, s.m, r, attempt)]);
            continue;
          }
          try {
            outcome.set(s.index, await producer.prepare(inheritSensedAt(r ?? [], s.record.headers)));
            passed.set(s.index, s.record);
          } catch (err) {
            outcome.set(s.index, [deadLetter(topic, partition, s.m, err, attempt)]);
          }
        }
        if (again.length) {
          metrics?.retries.inc({ stage, error_class: 'batch' }, again.length);
          await pause(backoffDelay(attempt, undefined, handlerRetry));
          await run(again, attempt + 1);
        }
      }

      await run(items, 1);
      for (const [index, m] of messages.entries()) {
        pending.push(...(outcome.get(index) ?? []));
        const record = passed.get(index);
        finish(m, record?.headers, record === undefined);
      }
      const last = messages[messages.length - 1];
      if (last) doneOffset = last.offset;
    }

    async function processAll(): Promise<void> {
      const messages = p.batch.messages;
      let i = 0;
      try {
        while (i < messages.length) {
          if (!p.isRunning() || p.isStale()) break;
          if (options.handleBatch) {
            const chunk = messages.slice(i, i + maxBatchSize);
            await processChunk(chunk);
            i += chunk.length;
          } else {
            await processOne(messages[i] as KafkaMessage);
            i++;
          }
          if (pending.length >= flushEvery) await flush();
        }
      } catch (err) {
        if (!(err instanceof Stopping)) throw err;
      }
      await flush();
    }

    if (!options.transactionalId) {
      await processAll();
      return;
    }
    await producer.transaction(async (tx) => {
      await processAll();
      if (txOutputs.length) await tx.sendPrepared(txOutputs);
      if (doneOffset !== undefined) {
        await tx.sendOffsets({ consumerGroupId: physicalGroupId, offsets: [{ topic, partition, offset: nextOffset(doneOffset) }] });
      }
    });
    if (doneOffset !== undefined) p.resolveOffset(doneOffset);
    latency.observe(finished, Date.now());
  }

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics.map((t) => namer.physical(t)), fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? DEFAULT_PARTITIONS_CONCURRENTLY,
      eachBatch,
    });
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    throw fromKafkaError(err, `start consumer ${groupId}`);
  }
  log.info({ topics: options.topics }, 'consumer.started');

  let stopping: Promise<void> | undefined;
  return {
    groupId,
    ready,
    stop() {
      stopping ??= (async () => {
        // stop() waits for the batch in flight; eachBatch sees isRunning() false,
        // flushes and commits what is done, and returns.
        await consumer.stop();
        await consumer.disconnect();
        await producer.disconnect();
        log.info('consumer.stopped');
      })();
      return stopping;
    },
  };
}
