/**
 * Finds the stack the tests run against, before any test starts:
 *  1. the one given through the environment (KAFKA_BROKERS, REGISTRY_URL, DATABASE_URL), or
 *  2. the local stack on its default ports (`make up`), or
 *  3. only when neither answers and a Docker engine is present: deploy/docker-compose.yml
 *     through testcontainers.
 * Otherwise it stops with a message saying how to get one.
 */
import { execFileSync } from 'node:child_process';
import { Socket } from 'node:net';
import { REPO_ROOT } from './processes.ts';

const DEFAULTS = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
};

function tcpOpen(hostPort: string, timeoutMs = 1_500): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean): void => { s.destroy(); resolve(ok); };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(Number(port), host!, () => done(true));
  });
}

async function registryUp(url: string): Promise<boolean> {
  try { return (await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2_000) })).ok; } catch { return false; }
}

async function stackAnswers(env: Record<string, string>): Promise<boolean> {
  const db = new URL(env.DATABASE_URL!);
  const [kafka, registry, postgres] = await Promise.all([
    tcpOpen(env.KAFKA_BROKERS!.split(',')[0]!), registryUp(env.REGISTRY_URL!), tcpOpen(`${db.hostname}:${db.port || 5432}`),
  ]);
  return kafka && registry && postgres;
}

function dockerPresent(): boolean {
  try { execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 }); return true; } catch { return false; }
}

export default async function setup(): Promise<(() => Promise<void>) | void> {
  const env = {
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? DEFAULTS.KAFKA_BROKERS,
    REGISTRY_URL: process.env.REGISTRY_URL ?? DEFAULTS.REGISTRY_URL,
    DATABASE_URL: process.env.DATABASE_URL ?? DEFAULTS.DATABASE_URL,
  };
  if (await stackAnswers(env)) {
    Object.assign(process.env, env);
    return;
  }
  const given = ['KAFKA_BROKERS', 'REGISTRY_URL', 'DATABASE_URL'].some((k) => process.env[k]);
  if (given || !dockerPresent()) {
    throw new Error(`no stack answers at ${JSON.stringify(env)}: run \`make up\` (Java 17+ and Maven), set KAFKA_BROKERS/REGISTRY_URL/DATABASE_URL, or install Docker`);
  }
  const { DockerComposeEnvironment, Wait } = await import('testcontainers');
  const compose = await new DockerComposeEnvironment(`${REPO_ROOT}/deploy`, 'docker-compose.yml')
    .withWaitStrategy('kafka-1', Wait.forHealthCheck())
    .withWaitStrategy('registry-1', Wait.forHealthCheck())
    .withWaitStrategy('postgres-1', Wait.forHealthCheck())
    .up();
  Object.assign(process.env, DEFAULTS);
  return async () => { await compose.down(); };
}
