/**
 * A private single-node KRaft broker for tests that need to take Kafka away
 * (the shared stack must never be stopped). It runs from the jars the local
 * stack already fetched (deploy/local/stack.sh, under STACK_DIR or .stack),
 * with its own config and data in a temp dir, on free ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@cr/core';
import { createKafka } from '@cr/kafka';
import { REPO_ROOT, eventually, freePort } from './processes.ts';

export interface PrivateBroker {
  /** `127.0.0.1:<port>`, for KAFKA_BROKERS. */
  readonly brokers: string;
  /** Where its config, data and log live. */
  readonly dir: string;
  /** SIGKILL (a crash, not a shutdown); then removes its files. Safe to call twice. */
  kill(): Promise<void>;
}

/** The Kafka jars the local stack installed. */
export function stackKafkaLibs(stackDir = process.env.STACK_DIR ?? join(REPO_ROOT, '.stack')): string {
  const home = join(stackDir, 'kafka');
  const libs = existsSync(home) ? readdirSync(home).filter((d) => d.startsWith('libs-') && existsSync(join(home, d, '.complete'))) : [];
  if (!libs.length) throw new Error(`no Kafka jars under ${home}: run \`bash deploy/local/stack.sh up\` once`);
  return join(home, libs.sort().at(-1)!);
}

export async function startPrivateBroker(options: { port?: number; controllerPort?: number; startTimeoutMs?: number } = {}): Promise<PrivateBroker> {
  const libs = stackKafkaLibs();
  const port = options.port ?? await freePort();
  const controllerPort = options.controllerPort ?? await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'cr-private-kafka-'));
  const conf = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j.properties');
  mkdirSync(join(dir, 'logs'));
  writeFileSync(conf, [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${join(dir, 'data')}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=3',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'num.network.threads=1',
    'num.io.threads=2',
    '',
  ].join('\n'));
  writeFileSync(log4j, [
    'log4j.rootLogger=WARN, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${join(dir, 'logs', 'server.log')}`,
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    '',
  ].join('\n'));
  const java = (heap: string): string[] => [heap, '-XX:TieredStopAtLevel=1', `-Dlog4j.configuration=file:${log4j}`, '-cp', `${libs}/*`];
  // A KRaft cluster id is 16 random bytes, base64url.
  const clusterId = randomBytes(16).toString('base64url');
  const format = spawnSync('java', [...java('-Xmx128m'), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', conf], { encoding: 'utf8', timeout: 60_000 });
  if (format.status !== 0) throw new Error(`formatting the private broker's storage failed: ${format.stderr || format.stdout}`);

  const out = createWriteStream(join(dir, 'logs', 'kafka.out'));
  const child: ChildProcess = spawn('java', [...java('-Xmx384m'), '-XX:+UseSerialGC', '-Djava.awt.headless=true', `-Dkafka.logs.dir=${join(dir, 'logs')}`, 'kafka.Kafka', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const brokers = `127.0.0.1:${port}`;

  let killed = false;
  const kill = async (): Promise<void> => {
    if (!killed) {
      killed = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    if (!process.env.KEEP_TEST_DATA) await rm(dir, { recursive: true, force: true });
  };

  // Healthy: a metadata round trip through the admin API answers.
  const kafka = createKafka({ brokers: [brokers], clientId: 'private-broker-probe', registryUrl: 'http://127.0.0.1:1', logger: createLogger({ name: 'private-broker', level: 'silent' }), topicPrefix: '', connectionTimeoutMs: 1_000, requestTimeoutMs: 3_000 });
  try {
    await eventually('private broker healthy', async () => {
      if (child.exitCode !== null) throw new Error(`private broker exited with ${child.exitCode}; see ${join(dir, 'logs')}`);
      await kafka.admin.listTopics();
      return true;
    }, options.startTimeoutMs ?? 90_000, 500);
  } catch (error) {
    await kill();
    throw error;
  } finally {
    await kafka.disconnect();
  }
  return { brokers, dir, kill };
}
