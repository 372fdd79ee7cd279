import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/**
 * kafkajs 2.2.4 sets a negative timer on Node >= 23 and Node warns about it
 * (kafkajs issue 1751, harmless); silence that one warning, nothing else.
 */
export const NODE_FLAGS = ['--disable-warning=TimeoutNegativeWarning'];

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined, or fails with `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (error) { last = error; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** A service (or peer) running as its own OS process, with its output in a log file. */
export class ServiceProcess {
  readonly name: string;
  readonly logPath: string;
  args: string[];
  private readonly env: NodeJS.ProcessEnv;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  opsPort = 0;

  constructor(name: string, args: string[], env: NodeJS.ProcessEnv, logDir: string) {
    this.name = name;
    this.args = args;
    this.env = env;
    mkdirSync(logDir, { recursive: true });
    this.logPath = join(logDir, `${name}.log`);
  }

  async start(): Promise<void> {
    this.opsPort = await freePort();
    const log = createWriteStream(this.logPath, { flags: 'a' });
    const child = spawn(process.execPath, [...NODE_FLAGS, ...this.args], {
      cwd: REPO_ROOT,
      env: { ...this.env, OPS_PORT: String(this.opsPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    this.child = child;
    this.exited = new Promise((res) => child.once('exit', (code) => res(code)));
  }

  /**
   * Waits until /readyz answers 200. The ops port is picked free just before the
   * start, so another process on this machine can take it first: a start that
   * died of EADDRINUSE is tried again on a new port.
   */
  async ready(timeoutMs = 60_000): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const exitedEarly = this.exited.then((code) => { throw new Error(`${this.name} exited with ${code} before ready; see ${this.logPath}`); });
      try {
        await Promise.race([
          exitedEarly,
          eventually(`${this.name} ready`, async () => {
            if (this.child?.exitCode !== null) return undefined;
            const r = await fetch(`http://127.0.0.1:${this.opsPort}/readyz`);
            return r.status === 200 ? true : undefined;
          }, timeoutMs),
        ]);
        return;
      } catch (error) {
        const portTaken = attempt < 3 && (await readFile(this.logPath, 'utf8').catch(() => '')).includes('EADDRINUSE');
        if (!portTaken) throw error;
        await this.start();
      }
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return null;
    this.child.kill(signal);
    return this.exited;
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.opsPort}/metrics`)).text();
  }
}
