import { describe, expect, it } from 'vitest';
import { parseConfig, ConfigError } from '@cr/core';
import { dispatchConfigSchema, dispatchEnv } from './config.ts';

const parse = (env: NodeJS.ProcessEnv) => parseConfig(dispatchConfigSchema, dispatchEnv(env), 'dispatch configuration');

describe('dispatch configuration', () => {
  it('given nothing, when read, then nothing is dispatched and no workspace scans', () => {
    expect(parse({})).toMatchObject({ engine: { timeoutMs: 5_000 }, concurrency: 10, workspaces: [], retry: { maxAttempts: 5, initialDelayMs: 60_000 } });
  });

  it('given a document and single settings, when read, then the settings win', () => {
    const c = parse({
      DISPATCH_CONFIG: JSON.stringify({ concurrency: 4, retry: { initialDelay: '30s' }, workspaces: [{ id: 'north', rules: [{ id: 'r', entityType: 'Appointment', offset: '-24h', purpose: 'appointment_reminder' }] }] }),
      DISPATCH_ENGINE_URL: 'http://127.0.0.1:7000', DISPATCH_CONCURRENCY: '6',
    });
    expect(c.engine.url).toBe('http://127.0.0.1:7000');
    expect(c.concurrency).toBe(6);
    expect(c.retry.initialDelayMs).toBe(30_000);
    expect(c.workspaces[0]!.rules[0]!.offset).toBe(-86_400_000);
  });

  it('given bad settings, when read, then every problem is named by its dotted path', () => {
    let error: unknown;
    try {
      parse({ DISPATCH_CONFIG: JSON.stringify({ engine: { url: 'not a url' }, workspaces: [{ id: 'north', gapScanner: { enabled: true, cooldown: 'a week', requirements: [{ id: 'ins', requiredFields: [] }] } }] }) });
    } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).issues.map((i) => i.split(':')[0]).sort();
    expect(paths).toEqual(['engine.url', 'workspaces.0.gapScanner.cooldown', 'workspaces.0.gapScanner.requirements.0.requiredFields']);
  });

  it('given text that is not JSON, when read, then the variable is named', () => {
    expect(() => parse({ DISPATCH_CONFIG: '{nope' })).toThrow(/DISPATCH_CONFIG: not JSON/);
  });
});
