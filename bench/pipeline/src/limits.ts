import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '@cr/core';
import type { KafkaClient } from '@cr/kafka';
import { createRawPerf, type PerfFigure } from '@cr/kafka/perf';
import { REPO_ROOT } from '@cr/e2e';
import { measurePassThrough } from './passthrough.ts';

/**
 * The broker's own limit for the pipeline's message size, measured on the same
 * broker and machine right after the pipeline ran: with Kafka's perf tools (the
 * classes from the installed jars) and with raw kafkajs, no processing.
 */

const run = promisify(execFile);
const LIMIT_TOPIC = 'bench.limit.v1';
const RAW_TOPIC = 'bench.limit-raw.v1';

export interface Limit {
  /** Messages per second. */
  produce: number;
  consume: number;
  /** One process producing and consuming every message on the same CPUs: 1 / (1/produce + 1/consume). */
  produceConsume: number;
  detail: { produce: PerfFigure; consume: PerfFigure };
}

export interface Limits {
  messageBytes: number;
  messages: number;
  perfTools: Limit;
  kafkajs: Limit;
  /** One stage through libs/kafka's runConsumer with a handler doing no I/O: records in (and out) per second. */
  passThrough: PerfFigure;
}

function limit(produce: PerfFigure, consume: PerfFigure): Limit {
  const p = produce.messagesPerSecond;
  const c = consume.messagesPerSecond;
  return { produce: p, consume: c, produceConsume: 1 / (1 / p + 1 / c), detail: { produce, consume } };
}

async function kafkaClass(args: readonly string[]): Promise<string> {
  const { stdout } = await run('bash', ['deploy/local/stack.sh', 'kafka-class', ...args], { cwd: REPO_ROOT, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** `N records sent, X records/sec (Y MB/sec), ...` */
export function parseProducerPerformance(stdout: string, size: number): PerfFigure {
  const last = stdout.trim().split('\n').filter((l) => l.includes('records sent')).pop() ?? '';
  const m = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(last.trim());
  if (!m) throw new Error(`ProducerPerformance printed no summary: ${stdout.slice(-300)}`);
  const messages = Number(m[1]);
  const perSec = Number(m[2]);
  return { messages, bytes: messages * size, seconds: messages / perSec, messagesPerSecond: perSec, mbPerSecond: Number(m[3]) };
}

/** CSV: start, end, MB, MB.sec, nMsg, nMsg.sec, rebalance.ms, fetch.ms, fetch.MB.sec, fetch.nMsg.sec. Uses the fetch rate (group join excluded). */
export function parseConsumerPerformance(stdout: string): PerfFigure {
  const line = stdout.trim().split('\n').filter((l) => /^\d{4}-/.test(l)).pop();
  const cols = line?.split(',').map((s) => s.trim());
  if (!cols || cols.length < 10) throw new Error(`ConsumerPerformance printed no summary: ${stdout.slice(-300)}`);
  const messages = Number(cols[4]);
  const fetchMs = Number(cols[7]);
  return { messages, bytes: Number(cols[2]) * 1_048_576, seconds: fetchMs / 1000, messagesPerSecond: Number(cols[9]), mbPerSecond: Number(cols[8]) };
}

export async function measureLimits(kafka: KafkaClient, logger: Logger, messageBytes: number, messages: number): Promise<Limits> {
  const size = Math.max(1, Math.round(messageBytes));
  const spec = (name: string) => ({ name, valueSchema: null, partitions: 3, compacted: false });
  await kafka.admin.ensureTopics([spec(LIMIT_TOPIC), spec(RAW_TOPIC)]);
  const physical = kafka.namer.physical(LIMIT_TOPIC);
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');

  // The Java producer with batching tuned for throughput (acks=all like ours): the best the broker gives.
  const toolProduce = parseProducerPerformance(await kafkaClass([
    'org.apache.kafka.tools.ProducerPerformance', '--topic', physical, '--num-records', String(messages), '--record-size', String(size),
    '--throughput', '-1', '--producer-props', `bootstrap.servers=${brokers}`, 'acks=all', 'linger.ms=5', 'batch.size=131072',
  ]), size);
  const toolConsume = parseConsumerPerformance(await kafkaClass([
    'org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', brokers, '--topic', physical,
    '--messages', String(messages), '--timeout', '60000',
  ]));

  const raw = createRawPerf({ brokers: brokers.split(','), logger, topicPrefix: kafka.topicPrefix });
  const jsProduce = await raw.produce({ topic: RAW_TOPIC, count: messages, valueSize: size });
  const jsConsume = await raw.consume({ topic: LIMIT_TOPIC, count: messages });

  const passThrough = await measurePassThrough(kafka, Math.min(messages, 50_000));

  return { messageBytes: size, messages, perfTools: limit(toolProduce, toolConsume), kafkajs: limit(jsProduce, jsConsume), passThrough };
}
