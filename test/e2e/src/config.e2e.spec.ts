/** A service with bad configuration refuses to start, naming every bad setting by its path. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS, REPO_ROOT } from './processes.ts';

function startWith(service: string, env: NodeJS.ProcessEnv): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, `services/${service}/src/main.ts`], {
    cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 30_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describe('start-up configuration', () => {
  it('refuses bad settings with their dotted paths, before connecting to anything', () => {
    // Nothing listens on these addresses: if the service tried to connect it would hang or fail differently.
    const r = startWith('sink', {
      KAFKA_BROKERS: '127.0.0.1:1', REGISTRY_URL: 'not a url', DATABASE_URL: 'mysql://x', OPS_PORT: '70000',
      SINK_ID: 'Bad Id!', SINK_FHIR_BASE_URL: 'nope', SINK_THRESHOLD: '1.5',
    });
    expect(r.status).toBe(2);
    for (const path of ['common.kafka.registryUrl', 'common.database.url', 'common.ops.port', 'service.id', 'service.fhirBaseUrl', 'service.threshold']) {
      expect(r.stderr).toContain(path);
    }
  });

  it('names a missing required setting', () => {
    const r = startWith('sink', {});
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/service\.id: .*/);
    expect(r.stderr).toMatch(/service\.fhirBaseUrl: .*/);
  });
});
