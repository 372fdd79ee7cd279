/**
 * The api as a real process for a test: on a free port, trusting the test
 * issuer's keys (written as a JWKS file into the run's log directory).
 */
import { mkdirSync } from 'node:fs';
import type { TestIssuer } from '@cr/auth/testing';
import { ServiceProcess, freePort } from './processes.ts';

export interface ApiProcess { port: number; process: ServiceProcess }

export async function startApiProcess(
  run: { env: NodeJS.ProcessEnv; logDir: string }, issuer: TestIssuer, env: NodeJS.ProcessEnv = {}, name = 'api',
): Promise<ApiProcess> {
  const port = await freePort();
  mkdirSync(run.logDir, { recursive: true });
  await issuer.writeJwks(`${run.logDir}/jwks.json`);
  const process = new ServiceProcess(name, ['services/api/src/main.ts'], {
    ...run.env, API_PORT: String(port), API_JWKS_FILE: `${run.logDir}/jwks.json`, ...env,
  }, run.logDir);
  await process.start();
  await process.ready();
  return { port, process };
}
