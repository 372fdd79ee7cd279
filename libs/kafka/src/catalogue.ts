/**
 * The topics of the architecture, by logical name. Every name here is logical:
 * the library adds the run's topic prefix (TOPIC_PREFIX) at the wire boundary,
 * so services and tests always speak in these names.
 */

/** An Avro schema as JSON (a record definition, or any Avro type). */
export type AvroSchemaJson = Record<string, unknown>;

/**
 * Where a topic's schema comes from: the name of a file `schemas/<Name>.avsc`
 * at the repository root (or SCHEMA_DIR), or an inline Avro definition (tests).
 */
export type SchemaSource = string | AvroSchemaJson;

export interface TopicSpec {
  /** Logical topic name, without prefix. */
  readonly name: string;
  /** Absent: keys are plain UTF-8 strings (the default). Reserved for Avro keys. */
  readonly keySchema?: SchemaSource;
  /** Null: raw bytes, no schema (dead-letter topics). */
  readonly valueSchema: SchemaSource | null;
  readonly partitions: number;
  readonly compacted: boolean;
  /** Defaults to 1 (the local single-broker stack); raise it in a real cluster. */
  readonly replicationFactor?: number;
  /** Extra topic configs, e.g. retention.ms. */
  readonly config?: Readonly<Record<string, string>>;
}

export const DEFAULT_PARTITIONS = 3;

export const TOPICS = {
  connectorConfig: 'connector.config.v1',
  rawRecords: 'ingest.raw-records.v1',
  worldEvents: 'world.events.v1',
  entityEvents: 'world.entity-events.v1',
  entityLinks: 'entity.links.v1',
  /** Operators' unlink requests (EntityLinks with change `unlink`); resolution answers on entity.links. */
  entityLinkRequests: 'entity.link-requests.v1',
  reviewVerdicts: 'review.verdicts.v1',
  reviewDecisions: 'review.decisions.v1',
  reviewTasks: 'review.tasks.v1',
  entityState: 'entity.state.v1',
  sinkResults: 'sink.results.v1',
  sourceHealth: 'pipeline.source-health.v1',
  heartbeats: 'pipeline.heartbeats.v1',
  surfaceRequests: 'surfaces.requests.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** Pipeline stages; each has its own dead-letter topic. */
export const STAGES = ['ingest', 'unification', 'resolution', 'review', 'projection', 'sink', 'dispatch'] as const;
export type Stage = (typeof STAGES)[number];

/** `<stage>.dead-letter.v1`: original key and bytes, error described in headers. */
export function deadLetterTopic(stage: string): string {
  return `${stage}.dead-letter.v1`;
}

/** Key joined from parts, e.g. `source/resourceType/externalId`. */
export function compositeKey(...parts: readonly string[]): string {
  return parts.join('/');
}

export interface CatalogueOptions {
  /** Partitions for every topic (default 3). */
  partitions?: number;
  /** Per-topic override by logical name. */
  partitionsByTopic?: Readonly<Record<string, number>>;
  replicationFactor?: number;
}

const VALUE_SCHEMAS: ReadonlyArray<readonly [TopicName, string, boolean]> = [
  [TOPICS.connectorConfig, 'DataSource', true],
  [TOPICS.rawRecords, 'RawRecord', false],
  [TOPICS.worldEvents, 'WorldEvent', false],
  [TOPICS.entityEvents, 'ResolvedEvent', false],
  [TOPICS.entityLinks, 'EntityLinks', true],
  // Compacted with a unique key per request, so every request is kept for a rebuild.
  [TOPICS.entityLinkRequests, 'EntityLinks', true],
  [TOPICS.reviewVerdicts, 'Verdict', false],
  [TOPICS.reviewDecisions, 'Decision', false],
  [TOPICS.reviewTasks, 'ReviewTask', false],
  [TOPICS.entityState, 'EntityState', true],
  [TOPICS.sinkResults, 'SyncResult', false],
  [TOPICS.sourceHealth, 'SourceHealth', false],
  [TOPICS.heartbeats, 'Heartbeat', false],
  [TOPICS.surfaceRequests, 'SurfaceRequest', false],
];

/** Every topic of the architecture, dead-letter topics included. */
export function catalogue(options: CatalogueOptions = {}): TopicSpec[] {
  const partitionsFor = (name: string): number =>
    options.partitionsByTopic?.[name] ?? options.partitions ?? DEFAULT_PARTITIONS;
  const rf = options.replicationFactor === undefined ? {} : { replicationFactor: options.replicationFactor };
  const data: TopicSpec[] = VALUE_SCHEMAS.map(([name, valueSchema, compacted]) => ({
    name, valueSchema, compacted, partitions: partitionsFor(name), ...rf,
  }));
  const deadLetters: TopicSpec[] = STAGES.map((stage) => {
    const name = deadLetterTopic(stage);
    return { name, valueSchema: null, compacted: false, partitions: partitionsFor(name), ...rf };
  });
  return [...data, ...deadLetters];
}

/** The spec of one catalogued topic; throws for an unknown name. */
export function topicSpec(name: string, options: CatalogueOptions = {}): TopicSpec {
  const spec = catalogue(options).find((t) => t.name === name);
  if (!spec) throw new Error(`unknown topic ${name}`);
  return spec;
}

/** Maps logical names to the names on the wire and back. */
export interface TopicNamer {
  readonly prefix: string;
  physical(logical: string): string;
  logical(physical: string): string;
}

export function topicNamer(prefix = ''): TopicNamer {
  return {
    prefix,
    physical: (logical) => prefix + logical,
    logical: (physical) => (prefix && physical.startsWith(prefix) ? physical.slice(prefix.length) : physical),
  };
}
