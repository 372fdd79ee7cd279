/**
 * Provisions a deployment: creates every topic of the catalogue (and the
 * dead-letter topics) and registers every schema with BACKWARD compatibility.
 * Idempotent. Reads KAFKA_BROKERS, REGISTRY_URL and TOPIC_PREFIX like the services, and
 * TOPIC_PARTITIONS / TOPIC_REPLICATION_FACTOR (defaults 3 and 1) for a real cluster.
 *
 *   node scripts/provision.ts
 */
import { createLogger, describeError, withRetry } from '@cr/core';
import { catalogue, createKafka } from '@cr/kafka';

export async function provision(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const logger = createLogger({ name: 'provision', level: env.PROVISION_LOG_LEVEL ?? 'warn' });
  const kafka = createKafka({
    brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    registryUrl: env.REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
    clientId: 'provision',
    logger,
    topicPrefix: env.TOPIC_PREFIX ?? '',
  });
  try {
    const partitions = env.TOPIC_PARTITIONS ? Number(env.TOPIC_PARTITIONS) : undefined;
    const replicationFactor = env.TOPIC_REPLICATION_FACTOR ? Number(env.TOPIC_REPLICATION_FACTOR) : undefined;
    for (const [name, v] of [['TOPIC_PARTITIONS', partitions], ['TOPIC_REPLICATION_FACTOR', replicationFactor]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new Error(`${name} must be a whole number >= 1`);
    }
    const specs = catalogue({ ...(partitions ? { partitions } : {}), ...(replicationFactor ? { replicationFactor } : {}) });
    // A busy broker sometimes answers a fresh topic's metadata with "does not host
    // this topic-partition" for a moment; creation is idempotent, so try again.
    const registered = await withRetry(async () => {
      await kafka.admin.ensureTopics(specs);
      return kafka.registry.registerSchemas(specs, { compatibility: 'BACKWARD' });
    }, { maxAttempts: 5, initialDelayMs: 500, onRetry: ({ attempt, error }) => logger.warn({ attempt, ...describeError(error) }, 'provision.retry') });
    logger.info({ topics: specs.length, schemas: registered.length }, 'provision.done');
  } finally {
    await kafka.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await provision();
  process.stdout.write('provisioned topics and schemas\n');
}
