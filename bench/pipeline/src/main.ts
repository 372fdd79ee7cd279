/**
 * `make bench`: the whole pipeline on the local stack under a generated load,
 * then the broker's own limit for the same message size, in one run.
 *
 *   1. backlog: source A holds Patients and Appointments; it is switched on while
 *      agent and voice writes are produced; the pipeline drains it (sustained throughput);
 *   2. paced: events offered at a fixed rate (default 1,000/s) for a while (latency at that rate);
 *   3. limits: Kafka's perf tools and raw kafkajs at the pipeline's mean message size.
 *
 * Prints a table and writes bench/results/<timestamp>.json and .txt. A benchmark, not a test.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@cr/core';
import { TOPICS } from '@cr/kafka';
import { REPO_ROOT } from '@cr/e2e';
import { benchConfig } from './config.ts';
import { createBatch } from './fhir-load.ts';
import { measureLimits, type Limits } from './limits.ts';
import { runPaced } from './paced.ts';
import { startPipeline, type Pipeline } from './pipeline.ts';
import { memoryGauges, type MemoryGauges } from './memory.ts';
import { cpuBetween, cpuByComm, findPids, sample, type ProcSample } from './proc.ts';
import { waitForCatchUp } from './progress.ts';
import { readPipelineTopics, TRACED_TOPICS } from './read-topics.ts';
import { renderTable, type ProcessFigures, type Report } from './report.ts';
import { buildChains, phaseFigures, unmappedRaw } from './trace.ts';
import { agentWrite, appointment, patient } from './workload.ts';

const cfg = benchConfig(process.env, join(REPO_ROOT, 'bench/results'));
const logger = createLogger({ name: 'bench', level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
const say = (line: string): void => { process.stdout.write(`${line}\n`); };
const RSS_TARGET_MB = 150;
const P99_TARGET_MS = 500;
const SHARE_TARGET = 0.25;

function pidsOf(pipeline: Pipeline): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, p] of pipeline.services) {
    const [pid] = findPids({ env: [`OPS_PORT=${p.opsPort}`, `TOPIC_PREFIX=${pipeline.run.env.TOPIC_PREFIX}`] });
    if (pid) out.set(name, pid);
  }
  for (const peer of [pipeline.ehrA, pipeline.ehrB]) {
    const [pid] = findPids({ argv: ['test/fhir-server/src/main.ts', String(peer.port)] });
    if (pid) out.set(peer.proc.name, pid);
  }
  try {
    const broker = Number(readFileSync(join(process.env.STACK_DIR ?? join(REPO_ROOT, '.stack'), 'run/kafka.pid'), 'utf8').trim());
    if (broker) out.set('kafka broker', broker);
  } catch { /* not the local stack: leave the broker out */ }
  return out;
}

type Snapshot = Map<string, ProcSample | undefined>;
const snapshot = (pids: Map<string, number>): Snapshot => new Map([...pids].map(([n, pid]) => [n, sample(pid)]));

async function main(): Promise<void> {
  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  // Other work on the machine skews every figure: the load average says how much there was.
  const load: Record<string, number> = { start: loadavg()[0]! };
  say(`pipeline benchmark ${started.toISOString()}  (${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB, node ${process.version}, load average ${load.start!.toFixed(1)})`);
  say(`backlog: ${cfg.backlog.patients} patients, ${cfg.backlog.appointments} appointments, ${cfg.backlog.agent} agent + ${cfg.backlog.voice} voice writes; paced: ${cfg.paced.rate}/s for ${cfg.paced.seconds} s`);

  if (cfg.serviceNodeOptions) say(`services run with NODE_OPTIONS += ${cfg.serviceNodeOptions}`);
  const pipeline = await startPipeline(cfg.serviceNodeOptions, cfg.sinkWritesPerSecond);
  say(`sink rate limit for this run: ${cfg.sinkWritesPerSecond} writes/s (the sink's default is 10)`);
  const { run } = pipeline;
  const kafka = run.kafka;
  let limits: Limits | null = null;
  try {
    const pids = pidsOf(pipeline);
    const P = cfg.backlog.patients;
    const A = cfg.backlog.appointments;
    say(`run ${run.id}: services up; loading ${P + A} resources into source A`);
    const loadStart = Date.now();
    await createBatch(pipeline.ehrA.url, [
      ...Array.from({ length: P }, (_, i) => patient(i)),
      ...Array.from({ length: A }, (_, i) => appointment(i, (i * 7919) % Math.max(1, P), loadStart)),
    ]);

    // Phase 1: the backlog.
    const s0 = snapshot(pids);
    const pg0 = cpuByComm('postgres');
    const t0 = Date.now();
    const producer = kafka.producer();
    await pipeline.enableSource(cfg.pollIntervalMs);
    const writes = [
      ...Array.from({ length: cfg.backlog.voice }, (_, i) => agentWrite('voice', i, (i * 7919) % Math.max(1, P), run.id, Date.now())),
      ...Array.from({ length: cfg.backlog.agent }, (_, i) => agentWrite('agent', cfg.backlog.voice + i, (i * 104_729) % Math.max(1, P), run.id, Date.now())),
    ];
    for (let i = 0; i < writes.length; i += 500) await producer.send(TOPICS.worldEvents, writes.slice(i, i + 500));
    const backlogCatchUp = await waitForCatchUp(kafka, P + A, cfg.drainTimeoutMs);
    const t1 = Date.now();
    const s1 = snapshot(pids);
    const pg1 = cpuByComm('postgres');
    load.backlogEnd = loadavg()[0]!;
    say(`backlog: ${backlogCatchUp.caughtUp ? 'drained' : 'NOT drained'} in ${((t1 - t0) / 1000).toFixed(1)} s`);

    // Phase 2: a steady rate.
    let paced = null;
    let pacedCatchUp = null;
    const tP = Date.now();
    if (cfg.paced.seconds > 0) {
      paced = await runPaced({
        fhirUrl: pipeline.ehrA.url, producer, runId: run.id, rate: cfg.paced.rate, seconds: cfg.paced.seconds,
        shares: { appointment: cfg.paced.appointmentShare, agent: cfg.paced.agentShare, voice: cfg.paced.voiceShare },
        firstPatient: P, firstAppointment: A, firstWrite: writes.length, knownPatients: P,
      });
      if (paced.error) say(`paced: generating stopped early: ${paced.error}`);
      pacedCatchUp = await waitForCatchUp(kafka, P + A + paced.offered.Patient + paced.offered.Appointment, cfg.drainTimeoutMs);
      say(`paced: offered ${Math.round(paced.ratePerSecond)}/s for ${paced.seconds.toFixed(1)} s; ${pacedCatchUp.caughtUp ? 'caught up' : 'did NOT catch up'} ${((pacedCatchUp.waitedMs) / 1000).toFixed(1)} s after`);
    }
    const t2 = Date.now();
    const s2 = snapshot(pids);
    const pg2 = cpuByComm('postgres');
    load.pacedEnd = loadavg()[0]!;
    const memory = new Map<string, MemoryGauges | null>();
    for (const [name, p] of pipeline.services) memory.set(name, await memoryGauges(p.opsPort));
    await producer.disconnect();
    await pipeline.stopServices();

    say('reading the topics back');
    const { topics, deadLetters } = await readPipelineTopics(kafka);
    const chains = buildChains(topics);
    const phases: Report['phases'] = {
      backlog: { ...phaseFigures(chains, { name: 'backlog', startMs: t0, endMs: tP }), windowSeconds: (t1 - t0) / 1000, caughtUp: backlogCatchUp.caughtUp },
    };
    if (paced && pacedCatchUp) {
      const o = paced.offered;
      phases.paced = {
        ...phaseFigures(chains, { name: 'paced', startMs: tP, endMs: Number.MAX_SAFE_INTEGER }),
        windowSeconds: (t2 - tP) / 1000, caughtUp: pacedCatchUp.caughtUp, offeredRate: paced.ratePerSecond, offered: o.Patient + o.Appointment + o.agent + o.voice,
      };
    }

    let records = 0;
    let bytes = 0;
    const topicSizes: Record<string, { records: number; meanValueBytes: number; meanKeyBytes: number }> = {};
    for (const t of TRACED_TOPICS) {
      const d = topics.get(t)!;
      records += d.records.length;
      bytes += d.valueBytes + d.keyBytes;
      topicSizes[t] = { records: d.records.length, meanValueBytes: d.records.length ? d.valueBytes / d.records.length : 0, meanKeyBytes: d.records.length ? d.keyBytes / d.records.length : 0 };
    }
    const meanMessageBytes = records ? bytes / records : 1000;

    if (!cfg.limits.skip) {
      say(`measuring the broker's limit at ${Math.round(meanMessageBytes)} bytes per message`);
      limits = await measureLimits(kafka, logger, meanMessageBytes, cfg.limits.messages);
    }

    const processes: Record<string, ProcessFigures> = {};
    for (const name of pids.keys()) {
      const cpu = (a: Snapshot, b: Snapshot): number | null => {
        const x = a.get(name);
        const y = b.get(name);
        return x && y ? y.cpuSeconds - x.cpuSeconds : null;
      };
      processes[name] = { cpuSeconds: { backlog: cpu(s0, s1), paced: cpu(s1, s2) }, peakRssMb: s2.get(name)?.peakRssMb ?? null, memory: memory.get(name) ?? null };
    }

    // Every Postgres backend on the machine, so other work using it counts too: an upper bound.
    processes['postgres (all)'] = { cpuSeconds: { backlog: cpuBetween(pg0, pg1), paced: cpuBetween(pg1, pg2) }, peakRssMb: null };
    const sustained = phases.backlog!.throughput.toEntityState;
    const ratios: Record<string, number | null> = {};
    if (limits) {
      for (const [label, l] of [['perf tools', limits.perfTools], ['raw kafkajs', limits.kafkajs]] as const) {
        for (const [what, v] of [['to entity.state', sustained], ['to sink result', phases.backlog!.throughput.toSink]] as const) {
          ratios[`${what} / ${label} produce`] = v === null ? null : v / l.produce;
          ratios[`${what} / ${label} consume`] = v === null ? null : v / l.consume;
          ratios[`${what} / ${label} produce+consume`] = v === null ? null : v / l.produceConsume;
        }
      }
      ratios['to entity.state / libs/kafka stage with no I/O'] = sustained === null ? null : sustained / limits.passThrough.messagesPerSecond;
    }
    const serviceNames = new Set<string>(pipeline.services.keys());
    const services = Object.entries(processes).filter(([n]) => serviceNames.has(n));
    const worst = services.reduce<[string, number] | null>((w, [n, p]) => (p.peakRssMb !== null && (!w || p.peakRssMb > w[1]) ? [n, p.peakRssMb] : w), null);
    const p99 = phases.paced?.latencyMs['end to end: input -> entity.state']?.p99 ?? null;
    const share = limits && sustained !== null ? sustained / limits.perfTools.produceConsume : null;
    const report: Report = {
      phases, processes, limits, ratios, deadLetters, unmappedRaw: unmappedRaw(topics), meanMessageBytes,
      targets: {
        throughputShareOfLimit: { target: SHARE_TARGET, actual: share, pass: share !== null && share >= SHARE_TARGET },
        p99AtRate: {
          targetMs: P99_TARGET_MS, rate: cfg.paced.rate, offeredRate: paced?.ratePerSecond ?? 0, actualMs: p99,
          pass: p99 !== null && p99 < P99_TARGET_MS && (phases.paced?.caughtUp ?? false) && (paced?.ratePerSecond ?? 0) >= 0.95 * cfg.paced.rate,
        },
        rssPerService: { targetMb: RSS_TARGET_MB, worst: worst?.[0] ?? null, actualMb: worst?.[1] ?? null, pass: worst !== null && worst[1] < RSS_TARGET_MB },
      },
    };

    const table = [`load average (1 min): ${Object.entries(load).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`, ...renderTable(report)];
    say('');
    for (const line of table) say(line);
    mkdirSync(cfg.resultsDir, { recursive: true });
    const base = join(cfg.resultsDir, stamp);
    writeFileSync(`${base}.json`, `${JSON.stringify({
      startedAt: started.toISOString(), runId: run.id, machine: { cores: cpus().length, memoryBytes: totalmem(), node: process.version, loadAverage1m: load },
      config: cfg, windows: { backlogStart: t0, pacedStart: tP, end: t2 }, catchUp: { backlog: backlogCatchUp, paced: pacedCatchUp },
      paced, topicSizes, ...report,
    }, null, 2)}\n`);
    writeFileSync(`${base}.txt`, `${table.join('\n')}\n`);
    say(`\nwritten: ${base}.json and .txt`);
  } finally {
    await pipeline.close(cfg.keepData);
  }
}

await main();
