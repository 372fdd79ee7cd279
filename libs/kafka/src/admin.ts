import kafkajs, { type Admin as KafkaAdmin, type Kafka } from 'kafkajs';

// kafkajs is CommonJS; Node's ESM loader does not see this export by name.
const { ConfigResourceTypes } = kafkajs;
import { sleep, TransportError, type Logger } from '@cr/core';
import type { TopicNamer, TopicSpec } from './catalogue.ts';
import { fromKafkaError } from './kafka-errors.ts';

export interface EnsureTopicsOptions {
  /** How long to wait for the metadata to show every topic with leaders. Default 30 s. */
  timeoutMs?: number;
}

export interface PartitionOffset {
  partition: number;
  offset: string;
}

export interface Admin {
  /** Creates the missing topics (compacted ones with cleanup.policy=compact) and waits until metadata shows them. Idempotent. Returns the names created. */
  ensureTopics(specs: readonly TopicSpec[], options?: EnsureTopicsOptions): Promise<string[]>;
  deleteTopics(names: readonly string[]): Promise<void>;
  /** Logical names of the topics under this run's prefix. */
  listTopics(): Promise<string[]>;
  /** Committed offsets of a group on a topic (-1: nothing committed). */
  committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]>;
  /** High watermark (next offset to be written) of each partition. */
  endOffsets(topic: string): Promise<PartitionOffset[]>;
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  /** Partition count and the topic-level configs that differ from the broker defaults. */
  describeTopic(topic: string): Promise<{ partitions: number; config: Record<string, string> }>;
  disconnect(): Promise<void>;
}

export function createAdmin(kafka: Kafka, namer: TopicNamer, logger: Logger): Admin {
  const log = logger.child({ component: 'kafka-admin' });
  const admin: KafkaAdmin = kafka.admin();
  let connecting: Promise<void> | undefined;
  const connect = (): Promise<void> => {
    connecting ??= admin.connect().catch((err: unknown) => {
      connecting = undefined;
      throw fromKafkaError(err, 'admin connect');
    });
    return connecting;
  };
  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    await connect();
    try {
      return await fn();
    } catch (err) {
      throw fromKafkaError(err, what);
    }
  }

  async function waitForTopics(physical: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let missing: string[] = [...physical];
      try {
        const existing = new Set(await admin.listTopics());
        missing = physical.filter((t) => !existing.has(t));
        if (missing.length === 0) {
          const { topics } = await admin.fetchTopicMetadata({ topics: [...physical] });
          missing = physical.filter((t) => {
            const meta = topics.find((m) => m.name === t);
            return !meta || meta.partitions.length === 0 || meta.partitions.some((p) => p.leader < 0);
          });
          if (missing.length === 0) return;
        }
      } catch (err) {
        log.debug({ err }, 'topics.wait_retry');
      }
      if (Date.now() > deadline) throw new TransportError(`topics not ready after ${timeoutMs} ms: ${missing.map((t) => namer.logical(t)).join(', ')}`);
      await sleep(200);
    }
  }

  return {
    async ensureTopics(specs, options = {}) {
      const timeoutMs = options.timeoutMs ?? 30_000;
      const existing = new Set(await call('list topics', () => admin.listTopics()));
      const missing = specs.filter((s) => !existing.has(namer.physical(s.name)));
      if (missing.length) {
        await call('create topics', () => admin.createTopics({
          // Not the client's wait: on a busy KRaft broker its metadata call can see the new
          // topic as unknown and fail; waitForTopics below polls until every partition has a leader.
          waitForLeaders: false,
          timeout: timeoutMs,
          topics: missing.map((s) => ({
            topic: namer.physical(s.name),
            numPartitions: s.partitions,
            replicationFactor: s.replicationFactor ?? 1,
            configEntries: Object.entries({ ...(s.compacted ? { 'cleanup.policy': 'compact' } : {}), ...s.config })
              .map(([name, value]) => ({ name, value })),
          })),
        }));
        log.info({ topics: missing.map((s) => s.name), prefix: namer.prefix }, 'topics.created');
      }
      await waitForTopics(specs.map((s) => namer.physical(s.name)), timeoutMs);
      return missing.map((s) => s.name);
    },

    async deleteTopics(names) {
      if (names.length === 0) return;
      const existing = new Set(await call('list topics', () => admin.listTopics()));
      const topics = names.map((n) => namer.physical(n)).filter((t) => existing.has(t));
      if (topics.length) await call('delete topics', () => admin.deleteTopics({ topics, timeout: 30_000 }));
    },

    async listTopics() {
      const all = await call('list topics', () => admin.listTopics());
      return all.filter((t) => !namer.prefix || t.startsWith(namer.prefix)).map((t) => namer.logical(t));
    },

    async committedOffsets(groupId, topic) {
      const res = await call('fetch offsets', () => admin.fetchOffsets({ groupId: namer.physical(groupId), topics: [namer.physical(topic)] }));
      return (res[0]?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset })).sort((a, b) => a.partition - b.partition);
    },

    async endOffsets(topic) {
      const res = await call('fetch topic offsets', () => admin.fetchTopicOffsets(namer.physical(topic)));
      return res.map((p) => ({ partition: p.partition, offset: p.high })).sort((a, b) => a.partition - b.partition);
    },

    async deleteGroups(groupIds) {
      if (groupIds.length) await call('delete groups', () => admin.deleteGroups(groupIds.map((g) => namer.physical(g))));
    },

    async describeTopic(topic) {
      const physical = namer.physical(topic);
      const meta = await call('fetch metadata', () => admin.fetchTopicMetadata({ topics: [physical] }));
      const configs = await call('describe configs', () => admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: physical }],
      }));
      const config: Record<string, string> = {};
      for (const entry of configs.resources[0]?.configEntries ?? []) {
        if (!entry.isDefault && entry.configValue !== null) config[entry.configName] = entry.configValue;
      }
      return { partitions: meta.topics[0]?.partitions.length ?? 0, config };
    },

    async disconnect() {
      connecting = undefined;
      await admin.disconnect();
    },
  };
}
