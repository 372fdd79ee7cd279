import { describeError } from '@cr/core';
import { deadLetterTopic, kafkaMetrics, type Producer } from '@cr/kafka';
import type { Registry } from 'prom-client';

export interface DeadLetter {
  key: string;
  /** The original bytes (a CSV row, a webhook body): kept on the dead-letter topic, never logged. */
  value: Buffer;
  error: unknown;
  /** Where it came from, e.g. `{ 'dlq.source.file': 'a.csv', 'dlq.source.line': '7' }`. */
  context: Record<string, string>;
}

export interface DeadLetterWriter {
  /** Resolves once Kafka acknowledged every dead letter. */
  write(letters: readonly DeadLetter[]): Promise<void>;
}

/** Ingest's dead letters: `ingest.dead-letter.v1`, headers as in every other stage, counted. */
export function createDeadLetterWriter(producer: Producer, registry: Registry, dataSourceId: string): DeadLetterWriter {
  const metrics = kafkaMetrics(registry);
  return {
    async write(letters) {
      if (!letters.length) return;
      await producer.sendRaw(deadLetterTopic('ingest'), letters.map((l) => {
        const d = describeError(l.error);
        return {
          key: l.key,
          value: l.value,
          headers: {
            'dlq.stage': 'ingest', 'dlq.error.class': d.errorClass, 'dlq.error.name': d.name, 'dlq.error.message': d.message,
            'dlq.attempt': '1', 'dlq.data-source': dataSourceId, 'dlq.timestamp': new Date().toISOString(), ...l.context,
          },
        };
      }));
      for (const l of letters) metrics.deadLetters.inc({ stage: 'ingest', error_class: describeError(l.error).errorClass });
    },
  };
}
