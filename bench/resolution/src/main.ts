/**
 * Entity-resolution benchmark. Generates patients duplicated across two EHRs
 * and a CRM export with realistic corruptions (test/data-gen), maps them with
 * unification's built-in rules, resolves them with the resolution service's
 * store against Postgres, and scores the result against the ground truth:
 * pairwise precision, recall and F1, and records resolved per second.
 *
 *   node bench/resolution/src/main.ts [--sizes 10000,100000] [--seed 7] [--mode postgres|memory|both]
 *                                     [--batch-size 500] [--link-probability 0.995] [--duplicates 0]
 *
 * Reads DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test). A program that
 * prints figures, not a test: the targets are printed next to the figures.
 */
import { parseArgs } from 'node:util';
import { generate, pairScores, type PairScores } from '@cr/data-gen';
import { DEFAULT_DECIDE } from '@cr/world-model';
import { worldEvents } from './events.ts';
import { resolveInMemory } from './memory.ts';
import { resolveInPostgres } from './postgres.ts';

const TARGETS = { precision: 0.995, recall: 0.97, secondsFor100k: 60 };

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    seed: { type: 'string', default: '7' },
    mode: { type: 'string', default: 'postgres' },
    'batch-size': { type: 'string', default: '500' },
    'link-probability': { type: 'string', default: String(DEFAULT_DECIDE.linkProbability) },
    /**
     * Chance that a person also has a second record in one source: a source's own duplicate,
     * which resolution never links automatically (different MRNs of one EHR go to review).
     * The issue's data are duplicates across sources: 0 by default.
     */
    duplicates: { type: 'string', default: '0' },
    keep: { type: 'boolean', default: false },
  },
});
const sizes = values.sizes.split(',').map(Number);
const seed = Number(values.seed);
const mode = values.mode;
const batchSize = Number(values['batch-size']);
const linkProbability = Number(values['link-probability']);
const duplicates = Number(values.duplicates);
if (sizes.some((n) => !Number.isInteger(n) || n < 2) || !['postgres', 'memory', 'both'].includes(mode) || !(batchSize >= 1) || !(linkProbability > 0.5 && linkProbability < 1) || !(duplicates >= 0 && duplicates <= 1)) {
  process.stderr.write('usage: main.ts [--sizes 10000,100000] [--seed n] [--mode postgres|memory|both] [--batch-size 500] [--link-probability 0.995] [--duplicates 0]\n');
  process.exit(2);
}
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const f = (x: number, d = 4): string => x.toFixed(d);
const mark = (ok: boolean): string => (ok ? 'ok' : 'MISSED');

function line(label: string, records: number, seconds: number, s: PairScores): string {
  return `  ${label.padEnd(9)} ${String(records).padStart(7)} records  ${f(seconds, 1).padStart(6)} s  ${String(Math.round(records / seconds)).padStart(7)} rec/s  `
    + `precision ${f(s.precision)} (${mark(s.precision >= TARGETS.precision)})  recall ${f(s.recall)} (${mark(s.recall >= TARGETS.recall)})  F1 ${f(s.f1)}`;
}

process.stdout.write(`resolution benchmark: seed ${seed}, link probability >= ${linkProbability}, within-source duplicates ${duplicates}, targets precision >= ${TARGETS.precision}, recall >= ${TARGETS.recall}, 100k in < ${TARGETS.secondsFor100k} s\n`);
for (const n of sizes) {
  const t0 = performance.now();
  const data = generate({ records: n, seed, withinSourceDuplicateRate: duplicates });
  const t1 = performance.now();
  const events = worldEvents(data.records);
  const t2 = performance.now();
  const truth = new Map(data.records.map((r) => [`${r.dataSourceId}/${r.resourceType}/${r.externalId}`, r.personId]));
  const score = (entityOf: Map<string, string>): PairScores => pairScores([...truth].map(([key, personId]) => ({ personId, entityId: entityOf.get(key) ?? `missing:${key}` })));
  process.stdout.write(`\n${n} source records of ${data.people.size} people ${JSON.stringify(data.counts)}; generated in ${f((t1 - t0) / 1000, 1)} s, mapped at ${Math.round(n / ((t2 - t1) / 1000))} rec/s\n`);
  if (mode !== 'postgres') {
    const t = performance.now();
    const s = score(resolveInMemory(events, linkProbability));
    process.stdout.write(`${line('memory', n, (performance.now() - t) / 1000, s)}\n`);
  }
  if (mode !== 'memory') {
    const run = await resolveInPostgres(events, { url, batchSize, linkProbability, keep: values.keep });
    const s = score(run.entityOf);
    process.stdout.write(`${line('postgres', n, run.seconds, s)}\n`);
    process.stdout.write(`            pairs: true ${s.truePairs}, predicted ${s.predictedPairs}, correct ${s.correctPairs}; entities ${s.entities} for ${s.people} people; merges ${run.stats.merges}\n`);
    process.stdout.write(`            decisions: new ${run.stats.newEntities}, ${Object.entries(run.stats.links).sort((a, b) => b[1] - a[1]).map(([r, c]) => `${r} ${c}`).join(', ')}\n`);
    process.stdout.write(`            seconds per batch of ${batchSize}: first tenth ${f(run.firstBatches, 3)}, last tenth ${f(run.lastBatches, 3)}; `
      + `phases (s): ${Object.entries(run.phases).map(([p, sec]) => `${p} ${f(sec, 1)}`).join(', ')}\n`);
    if (n >= 100_000) process.stdout.write(`            100k target (< ${TARGETS.secondsFor100k} s): ${mark(run.seconds * (100_000 / n) < TARGETS.secondsFor100k)}\n`);
  }
}
