import type { Clock, Logger } from '@cr/core';
import type { Producer } from '@cr/kafka';
import type { ApiConfig } from './config.ts';
import type { PipelineView } from './observability/index.ts';
import type { EntityReads } from './read-model/entities.ts';
import type { ReviewTaskReads } from './read-model/review-tasks.ts';

/** What route handlers work with; built once in main.ts. */
export interface ApiDeps {
  config: ApiConfig;
  logger: Logger;
  clock: Clock;
  entities: EntityReads;
  tasks: ReviewTaskReads;
  /** Idempotent producer for single writes. */
  producer: Producer;
  /** Transactional producer: FHIR transaction bundles are written all or nothing. */
  txProducer: Producer;
  /** The pipeline observability read side (/v1/pipeline). */
  pipeline: PipelineView;
}
