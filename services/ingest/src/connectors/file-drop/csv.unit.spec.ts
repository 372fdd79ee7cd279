import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.ts';
import { globMatches, parseDroppedFile } from './parse.ts';

describe('CSV', () => {
  it('given quoted fields with commas, escaped quotes and line breaks, when parsed, then each record keeps its starting line', () => {
    const { rows, broken } = parseCsv('a,b\r\n1,"x, ""y"""\n2,"multi\nline"\n\n3,z\n');
    expect(broken).toEqual([]);
    expect(rows.map((r) => [r.line, r.fields])).toEqual([[1, ['a', 'b']], [2, ['1', 'x, "y"']], [3, ['2', 'multi\nline']], [6, ['3', 'z']]]);
  });

  it('given an unterminated quote, when parsed, then that record is reported broken at its line', () => {
    expect(parseCsv('a,b\n1,"open\n2,x\n').broken).toEqual([{ line: 2, raw: '1,"open\n2,x', reason: 'unterminated quoted field' }]);
  });

  it('given a row with the wrong number of fields, when a file is read, then only that row is malformed and the rest goes on', () => {
    const r = parseDroppedFile('p.csv', 'id,name\n1,a\n2\n3,c\n', { pattern: '*.csv', format: 'csv', resourceType: 'PatientRow', delimiter: ',' });
    expect(r.records.map((c) => c.externalId)).toEqual(['1', '3']);
    expect(r.malformed.map((m) => [m.line, m.raw, m.error.message])).toEqual([[3, '2', 'p.csv:3: expected 2 fields, found 1']]);
  });

  it('matches file-name globs', () => {
    expect(globMatches('*.csv', 'a.b.csv')).toBe(true);
    expect(globMatches('bundle-?.json', 'bundle-1.json')).toBe(true);
    expect(globMatches('*.csv', 'a.csv.done')).toBe(false);
  });
});
