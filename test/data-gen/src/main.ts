/**
 * Writes a synthetic dataset with its ground truth.
 *
 *   node test/data-gen/src/main.ts --records 10000 --seed 1 --out test-results/data-10k [--duplicates 0.01]
 */
import { parseArgs } from 'node:util';
import { generate } from './generate.ts';
import { writeDataset } from './files.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '10000' }, seed: { type: 'string', default: '1' }, out: { type: 'string' }, duplicates: { type: 'string', default: '0' } } });
const records = Number(values.records);
const seed = Number(values.seed);
const duplicates = Number(values.duplicates);
if (!Number.isInteger(records) || records < 1 || !Number.isInteger(seed) || !(duplicates >= 0 && duplicates <= 1)) {
  process.stderr.write('usage: main.ts --records <n >= 1> --seed <integer> --out <directory> [--duplicates <0..1: within-source duplicate rate>]\n');
  process.exit(2);
}
const out = values.out ?? `test-results/data-gen-${records}-${seed}`;
const data = generate({ records, seed, withinSourceDuplicateRate: duplicates });
const files = writeDataset(out, data, { seed, withinSourceDuplicateRate: duplicates });
process.stdout.write(`${data.records.length} records of ${data.people.size} people (${JSON.stringify(data.counts)})\n${files.join('\n')}\n`);
