import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Patient } from '@medplum/fhirtypes';
import { afterEach, describe, expect, it } from 'vitest';
import { adminCount, getStats, searchAll, seedPatients, setFaults } from './client.ts';
import { call } from './test-helpers.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
  }
  child = undefined;
});

async function start(args: string[]): Promise<{ proc: ChildProcess; url: string; adminUrl: string }> {
  const proc = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: proc.stdout! });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => line as string),
    once(proc, 'exit').then(([code]) => {
      throw new Error(`server exited (${String(code)}) before printing its URL: ${stderr}`);
    }),
  ]);
  const info = JSON.parse(first) as { url: string; adminUrl: string };
  return { proc, ...info };
}

describe('CLI (separate process)', () => {
  it('prints {url, adminUrl} as one JSON line, serves FHIR and admin, exits 0 on SIGTERM', async () => {
    const { proc, url, adminUrl } = await start(['--port', '0']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir\/R4$/);
    expect(adminUrl).toBe(url.replace('/fhir/R4', '/$admin'));

    await seedPatients(url, 12);
    const all = await searchAll<Patient>(`${url}/Patient?_count=5`);
    expect(new Set(all.map((p) => p.id)).size).toBe(12);

    await setFaults(adminUrl, { status429: { count: 1, retryAfter: '2' } });
    const throttled = await call(`${url}/Patient`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(await adminCount(adminUrl, 'Patient')).toBe(12);
    expect((await getStats(adminUrl)).faultsFired.status429).toBe(1);

    // a keep-alive connection is open; SIGTERM must still stop promptly
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const [code, signal] = (await Promise.race([
      exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no exit within 5 s of SIGTERM')), 5000)),
    ])) as [number | null, string | null];
    expect(signal).toBeNull();
    expect(code).toBe(0);
    await expect(fetch(`${url}/metadata`)).rejects.toThrow();
  });

  it('honours --port, --base-path and --page-size', async () => {
    const probe = await start(['--port', '0']);
    const port = Number(new URL(probe.url).port);
    probe.proc.kill('SIGTERM');
    await once(probe.proc, 'exit');

    const { proc, url } = await start(['--port', String(port), '--base-path', '/fhir', '--page-size', '3']);
    expect(url).toBe(`http://127.0.0.1:${port}/fhir`);
    await seedPatients(url, 4);
    const page = await call<{ entry?: unknown[]; link?: { relation: string; url: string }[] }>(`${url}/Patient`);
    expect(page.body.entry).toHaveLength(3);
    expect(page.body.link?.find((l) => l.relation === 'next')?.url.startsWith(`${url}/Patient?`)).toBe(true);
    proc.kill('SIGTERM');
    expect((await once(proc, 'exit'))[0]).toBe(0);
  });
});
