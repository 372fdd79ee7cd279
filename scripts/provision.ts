/**
 * Provisions a deployment: creates every topic of the catalogue (and the
 * dead-letter topics) and registers every schema with BACKWARD compatibility.
 * Idempotent. Reads KAFKA_BROKERS, REGISTRY_URL and TOPIC_PREFIX like the services.
 *
 *   node scripts/provision.ts
 */
import { createLogger } from '@cr/core';
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
    const specs = catalogue();
    await kafka.admin.ensureTopics(specs);
    const registered = await kafka.registry.registerSchemas(specs, { compatibility: 'BACKWARD' });
    logger.info({ topics: specs.length, schemas: registered.length }, 'provision.done');
  } finally {
    await kafka.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await provision();
  process.stdout.write('provisioned topics and schemas\n');
}
