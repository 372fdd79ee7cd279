import { deadLetterTopic, STAGES, TOPICS, type KafkaClient } from '@cr/kafka';

/** Every record of the pipeline's topics after a run, decoded, with its broker timestamp and size. */

export interface Rec<V> {
  key: string | null;
  partition: number;
  offset: number;
  timestamp: number;
  value: V;
}

export interface TopicDump<V = unknown> {
  topic: string;
  records: Rec<V>[];
  valueBytes: number;
  keyBytes: number;
}

export const TRACED_TOPICS = [
  TOPICS.rawRecords, TOPICS.worldEvents, TOPICS.entityEvents, TOPICS.entityLinks,
  TOPICS.reviewTasks, TOPICS.entityState, TOPICS.sinkResults,
] as const;

export async function readTopic<V>(kafka: KafkaClient, topic: string, decode = true): Promise<TopicDump<V>> {
  const raw = await kafka.readAllRaw(topic, { timeoutMs: 180_000 });
  const dump: TopicDump<V> = { topic, records: [], valueBytes: 0, keyBytes: 0 };
  for (const r of raw) {
    dump.valueBytes += r.value?.length ?? 0;
    dump.keyBytes += r.rawKey?.length ?? 0;
    const value = (decode && r.value ? await kafka.registry.decode(r.value) : null) as V;
    dump.records.push({ key: r.key, partition: r.partition, offset: Number(r.offset), timestamp: r.timestamp, value });
  }
  // Offset order within a partition is the order a consumer sees.
  dump.records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  return dump;
}

export async function readPipelineTopics(kafka: KafkaClient): Promise<{ topics: Map<string, TopicDump>; deadLetters: Record<string, number> }> {
  const topics = new Map<string, TopicDump>();
  for (const topic of TRACED_TOPICS) topics.set(topic, await readTopic(kafka, topic));
  const deadLetters: Record<string, number> = {};
  for (const stage of STAGES) {
    const ends = await kafka.admin.endOffsets(deadLetterTopic(stage));
    deadLetters[stage] = ends.reduce((n, e) => n + Math.max(0, Number(e.offset)), 0);
  }
  return { topics, deadLetters };
}
