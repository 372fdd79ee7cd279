/**
 * The library's own message types. Services see only these, never kafkajs'
 * types, so the client underneath can be swapped.
 */

/** Header values are UTF-8 strings. */
export type Headers = Record<string, string>;

/** A message for a topic known from context (`producer.send(topic, ...)`). */
export interface OutgoingMessage<V = unknown> {
  /** Plain UTF-8 key, e.g. `source/resourceType/externalId`; null for none. */
  key: string | null;
  /** Encoded with the topic's registered schema; null is a tombstone (compacted topics). */
  value: V;
  headers?: Headers;
}

/** A message with its topic: what a handler returns. */
export interface OutputMessage<V = unknown> extends OutgoingMessage<V> {
  topic: string;
}

/** Bytes as they are, no schema (dead letters, tools). */
export interface RawMessage {
  key: string | Buffer | null;
  value: Buffer | null;
  headers?: Headers;
}

export interface ConsumedRecord<V = unknown> {
  /** Logical topic name (without the run's prefix). */
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** Decoded value; null for a tombstone. */
  value: V;
  headers: Headers;
  /** Broker timestamp, ms since the epoch. */
  timestamp: number;
  /** Schema id the value was written with; undefined for tombstones and raw reads. */
  schemaId: number | undefined;
}

/** A consumed record kept raw (no decoding). */
export interface RawRecord extends Omit<ConsumedRecord<Buffer | null>, 'schemaId'> {
  rawKey: Buffer | null;
}
