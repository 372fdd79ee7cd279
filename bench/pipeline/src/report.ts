import type { Limits } from './limits.ts';
import type { MemoryGauges } from './memory.ts';
import type { Distribution } from './stats.ts';
import type { PhaseFigures } from './trace.ts';

/** The printed table. Pure: figures in, lines out. */

export interface ProcessFigures {
  cpuSeconds: Record<string, number | null>;
  peakRssMb: number | null;
  /** Services only: V8 heap and external memory at the end of the run. */
  memory?: MemoryGauges | null;
}

export interface Targets {
  throughputShareOfLimit: { target: number; actual: number | null; pass: boolean };
  p99AtRate: { targetMs: number; rate: number; offeredRate: number; actualMs: number | null; pass: boolean };
  rssPerService: { targetMb: number; worst: string | null; actualMb: number | null; pass: boolean };
}

export interface Report {
  phases: Record<string, PhaseFigures & { windowSeconds: number; caughtUp: boolean; offeredRate?: number; offered?: number }>;
  processes: Record<string, ProcessFigures>;
  limits: Limits | null;
  ratios: Record<string, number | null>;
  targets: Targets;
  deadLetters: Record<string, number>;
  unmappedRaw: Record<string, number>;
  meanMessageBytes: number;
}

const f0 = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en-US'));
const f1 = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v.toFixed(1));
const pct = (v: number | null | undefined): string => {
  if (v === null || v === undefined) return '-';
  const p = v * 100;
  return `${p >= 1 ? p.toFixed(1) : p.toPrecision(2)}%`;
};
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

function latencyRows(latency: Record<string, Distribution>): string[] {
  const rows = [`  ${pad('latency (ms)', 50)}${lpad('n', 8)}${lpad('p50', 8)}${lpad('p95', 8)}${lpad('p99', 8)}${lpad('max', 8)}`];
  for (const [name, d] of Object.entries(latency)) {
    if (d.count === 0) continue;
    rows.push(`  ${pad(name, 50)}${lpad(f0(d.count), 8)}${lpad(f0(d.p50), 8)}${lpad(f0(d.p95), 8)}${lpad(f0(d.p99), 8)}${lpad(f0(d.max), 8)}`);
  }
  return rows;
}

export function renderTable(r: Report): string[] {
  const out: string[] = [];
  for (const [name, p] of Object.entries(r.phases)) {
    const inputs = Object.entries(p.inputs).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
    const offered = p.offered === undefined ? '' : ` of ${f0(p.offered)} offered at ${f0(p.offeredRate)}/s`;
    out.push(`${name}: ${inputs} reached resolution${offered}${p.caughtUp ? '' : '  [DID NOT CATCH UP]'}`);
    out.push(`  throughput (events/s)   to entity.state ${f0(p.throughput.toEntityState)}   to sink result ${f0(p.throughput.toSink)}   sink writes ${f0(p.throughput.sinkWrites)}`);
    out.push(`  stage output rates      ${Object.entries(p.stageRates).map(([k, v]) => `${k} ${f0(v)}`).join('   ')}`);
    out.push(`  outputs                 entity.state ${p.states}   sink results ${Object.entries(p.sinkResults).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
    out.push(...latencyRows(p.latencyMs));
    out.push('');
  }
  const phases = Object.keys(Object.values(r.processes)[0]?.cpuSeconds ?? {});
  out.push(`  ${pad('process', 14)}${phases.map((p) => lpad(`cpu s ${p}`, 18)).join('')}${lpad('peak RSS MB', 14)}${lpad('heap/used/ext MB', 20)}`);
  for (const [name, p] of Object.entries(r.processes)) {
    const m = p.memory ? `${f0(p.memory.heapTotalMb)}/${f0(p.memory.heapUsedMb)}/${f0(p.memory.externalMb)}` : '';
    out.push(`  ${pad(name, 14)}${phases.map((ph) => lpad(f1(p.cpuSeconds[ph]), 18)).join('')}${lpad(f0(p.peakRssMb), 14)}${lpad(m, 20)}`);
  }
  out.push('');
  if (r.limits) {
    const l = r.limits;
    out.push(`broker limit, ${l.messageBytes}-byte messages (mean of the pipeline's), ${f0(l.messages)} messages each (msgs/s):`);
    out.push(`  ${pad('', 28)}${lpad('produce', 10)}${lpad('consume', 10)}${lpad('prod+cons', 11)}`);
    out.push(`  ${pad('Kafka perf tools', 28)}${lpad(f0(l.perfTools.produce), 10)}${lpad(f0(l.perfTools.consume), 10)}${lpad(f0(l.perfTools.produceConsume), 11)}`);
    out.push(`  ${pad('raw kafkajs', 28)}${lpad(f0(l.kafkajs.produce), 10)}${lpad(f0(l.kafkajs.consume), 10)}${lpad(f0(l.kafkajs.produceConsume), 11)}`);
    out.push(`  ${pad('libs/kafka stage, no I/O', 28)}${lpad('', 10)}${lpad('', 10)}${lpad(f0(l.passThrough.messagesPerSecond), 11)}   (consume, decode, handle, encode, produce, commit)`);
    out.push('pipeline as a share of each limit:');
    for (const [k, v] of Object.entries(r.ratios)) out.push(`  ${pad(k, 58)}${lpad(pct(v), 8)}`);
    out.push('');
  }
  const t = r.targets;
  const mark = (pass: boolean): string => (pass ? 'PASS' : 'FAIL');
  out.push('targets:');
  out.push(`  [${mark(t.throughputShareOfLimit.pass)}] sustained throughput >= ${pct(t.throughputShareOfLimit.target)} of the perf tools' produce+consume limit: ${pct(t.throughputShareOfLimit.actual)}`);
  out.push(`  [${mark(t.p99AtRate.pass)}] end-to-end p99 < ${t.p99AtRate.targetMs} ms at ${f0(t.p99AtRate.rate)} events/s (offered ${f0(t.p99AtRate.offeredRate)}/s): ${f0(t.p99AtRate.actualMs)} ms`);
  out.push(`  [${mark(t.rssPerService.pass)}] peak RSS < ${t.rssPerService.targetMb} MB per service: worst ${t.rssPerService.worst ?? '-'} ${f0(t.rssPerService.actualMb)} MB`);
  const dl = Object.entries(r.deadLetters).filter(([, n]) => n > 0);
  if (dl.length) out.push(`dead letters: ${dl.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const un = Object.entries(r.unmappedRaw).filter(([, n]) => n > 0);
  if (un.length) out.push(`raw records that became no event: ${un.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  return out;
}
