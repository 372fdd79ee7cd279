import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time and memory of processes, read from /proc (Linux). */

const CLK_TCK = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();

export interface ProcSample {
  /** User + system CPU seconds since the process started. */
  cpuSeconds: number;
  /** Peak resident set size so far (VmHWM), MB. */
  peakRssMb: number;
  rssMb: number;
}

export function sample(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { cpuSeconds: ticks / CLK_TCK, peakRssMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

function readText(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/**
 * Pids of our own processes whose environment holds every one of `envEntries`
 * (e.g. `OPS_PORT=4312`) and whose command line holds every one of `argv`.
 * The harness starts each service with its own OPS_PORT, so this finds one pid.
 */
export function findPids(match: { env?: readonly string[]; argv?: readonly string[] }): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if (match.argv?.length) {
      const argv = readText(`/proc/${pid}/cmdline`).split('\0');
      if (!match.argv.every((a) => argv.includes(a))) continue;
    }
    if (match.env?.length) {
      const env = readText(`/proc/${pid}/environ`).split('\0');
      if (!match.env.every((e) => env.includes(e))) continue;
    }
    out.push(pid);
  }
  return out;
}

/** CPU seconds of every process whose command name is `comm` (e.g. all Postgres backends), by pid. */
export function cpuByComm(comm: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (readText(`/proc/${entry}/comm`).trim() !== comm) continue;
    const s = sample(Number(entry));
    if (s) out.set(Number(entry), s.cpuSeconds);
  }
  return out;
}

/** CPU used between two `cpuByComm` readings (processes gone by the second reading are not counted). */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
  return total;
}
