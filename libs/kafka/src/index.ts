export * from './catalogue.ts';
export * from './types.ts';
export { METRICS, LATENCY_BUCKETS, kafkaMetrics, type KafkaMetrics } from './metrics.ts';
export { SENSED_AT_HEADER, sensedAtOf, inheritSensedAt } from './latency.ts';
export {
  createRegistryCodec, loadSchema, parseAvro, wireSchemaId,
  type Compatibility, type RegisterOptions, type RegisteredTopic, type RegistryCodec, type RegistryCodecOptions,
} from './registry.ts';
export type { Admin, EnsureTopicsOptions, PartitionOffset } from './admin.ts';
export type { PreparedMessage, Producer, ProducerOptions, TransactionOffsets, TransactionSender } from './producer.ts';
export type { BatchHandler, BatchResult, ConsumerOptions, HandlerContext, HandlerRetry, RecordHandler, RunningConsumer } from './consumer.ts';
export type { ReadAllOptions } from './read-all.ts';
export { createKafka, type KafkaClient, type KafkaRuntime, type KafkaOptions } from './kafka.ts';
export { startLagMonitor, partitionLag, type LagMonitor, type LagMonitorOptions, type GroupTopics } from './lag.ts';
