import { describe, expect, it } from 'vitest';
import { catalogue, compositeKey, deadLetterTopic, STAGES, TOPICS, topicNamer, topicSpec } from './catalogue.ts';

describe('catalogue', () => {
  it('lists every topic of the architecture with its schema and policy', () => {
    const all = catalogue();
    expect(all.map((t) => t.name)).toEqual(expect.arrayContaining(Object.values(TOPICS)));
    expect(all).toHaveLength(Object.values(TOPICS).length + STAGES.length);
    expect(topicSpec(TOPICS.connectorConfig)).toMatchObject({ valueSchema: 'DataSource', compacted: true, partitions: 3 });
    expect(topicSpec(TOPICS.entityLinks).compacted).toBe(true);
    expect(topicSpec(TOPICS.entityState)).toMatchObject({ valueSchema: 'EntityState', compacted: true });
    expect(topicSpec(TOPICS.entityEvents)).toMatchObject({ valueSchema: 'ResolvedEvent', compacted: false });
    expect(topicSpec('sink.dead-letter.v1')).toMatchObject({ valueSchema: null, compacted: false });
    expect(all.every((t) => t.keySchema === undefined)).toBe(true);
  });

  it('makes partitions configurable, globally and per topic', () => {
    const all = catalogue({ partitions: 1, partitionsByTopic: { [TOPICS.worldEvents]: 6 } });
    expect(all.find((t) => t.name === TOPICS.worldEvents)?.partitions).toBe(6);
    expect(all.find((t) => t.name === TOPICS.rawRecords)?.partitions).toBe(1);
  });

  it('names dead-letter topics per stage and joins composite keys with /', () => {
    expect(deadLetterTopic('resolution')).toBe('resolution.dead-letter.v1');
    expect(compositeKey('src-1', 'Patient', '42')).toBe('src-1/Patient/42');
  });

  it('maps logical names to prefixed ones and back', () => {
    const n = topicNamer('t-abc.');
    expect(n.physical('world.events.v1')).toBe('t-abc.world.events.v1');
    expect(n.logical('t-abc.world.events.v1')).toBe('world.events.v1');
    expect(topicNamer().physical('x')).toBe('x');
  });
});
