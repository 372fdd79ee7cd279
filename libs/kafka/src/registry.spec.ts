import { describe, expect, it } from 'vitest';
import { SchemaError } from '@cr/core';
import { catalogue } from './catalogue.ts';
import { loadSchema, parseAvro, wireSchemaId } from './registry.ts';

describe('schema files', () => {
  it('every catalogued value schema parses as Avro', async () => {
    for (const spec of catalogue()) {
      if (spec.valueSchema === null) continue;
      const json = await loadSchema(spec.valueSchema);
      expect(() => parseAvro(json, spec.name)).not.toThrow();
    }
  });

  it('an invalid schema or a missing file is a SchemaError', async () => {
    expect(() => parseAvro({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'nope' }] })).toThrow(SchemaError);
    await expect(loadSchema('DoesNotExist')).rejects.toBeInstanceOf(SchemaError);
  });

  it('reads the schema id of a wire-format buffer', () => {
    expect(wireSchemaId(Buffer.from([0, 0, 0, 1, 2, 9]))).toBe(258);
    expect(wireSchemaId(Buffer.from('{"json":true}'))).toBeUndefined();
    expect(wireSchemaId(Buffer.from([0, 1]))).toBeUndefined();
  });
});
