/**
 * The LLM judge against a real OpenAI-compatible stub endpoint on loopback:
 * what it sends, how it reads answers, and how it falls back to the
 * deterministic judge when the endpoint is down, slow or failing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@cr/core';
import { createDeterministicJudge, type JudgeInput, type WorldEvent } from '@cr/world-model';
import { createLlmJudge, type LlmJudge } from './llm-judge.ts';

type Behaviour = { kind: 'answer'; verdict: string; fields?: Record<string, { supported: boolean }> } | { kind: 'status'; status: number } | { kind: 'slow'; ms: number } | { kind: 'garbage' };
let behaviour: Behaviour = { kind: 'answer', verdict: 'verified' };
const seen: { auth: string | undefined; body: { model: string; messages: { role: string; content: string }[] } }[] = [];
let server: Server;
let baseUrl = '';

function stub(req: IncomingMessage, res: ServerResponse): void {
  let text = '';
  req.on('data', (c: Buffer) => { text += c.toString(); });
  req.on('end', () => {
    seen.push({ auth: req.headers.authorization, body: JSON.parse(text) as (typeof seen)[number]['body'] });
    const b = behaviour;
    if (req.url !== '/v1/chat/completions') { res.writeHead(404).end(); return; }
    if (b.kind === 'status') { res.writeHead(b.status, { 'content-type': 'application/json' }).end('{"error":{"message":"down"}}'); return; }
    if (b.kind === 'garbage') { res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[{"message":{"content":"I think it is fine"}}]}'); return; }
    const answer = (): void => {
      const content = JSON.stringify(b.kind === 'answer' ? { verdict: b.verdict, reason: 'r', fields: b.fields } : { verdict: 'verified' });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
    };
    if (b.kind === 'slow') setTimeout(answer, b.ms); else answer();
  });
}

const NOW = Date.UTC(2025, 5, 1);
function input(attributes: Record<string, unknown>, sourceMaterial: string | null): JudgeInput {
  const event: WorldEvent = {
    eventId: `ev-${Math.random()}`, entityType: 'Patient', source: { dataSourceId: 'voice', system: 'api', resourceType: 'Patient', externalId: 'c1' },
    attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, JSON.stringify(v)])), identifiers: [],
    confidence: 0.5, origin: 'voice', observedAt: NOW, recordedAt: NOW, mappingVersion: 'api@1', causationId: 'r', category: null, deleted: false, sourceMaterial,
  };
  return { entityId: 'ent-1', event, now: NOW };
}

function judge(over: Partial<Parameters<typeof createLlmJudge>[0]> = {}): LlmJudge {
  return createLlmJudge({
    baseUrl, model: 'stub-model', apiKey: 'sk-test', timeoutMs: 300, breakerErrorPercent: 50, breakerVolume: 3, breakerResetMs: 60_000,
    verifiedConfidence: 1, fallback: createDeterministicJudge(), logger: createLogger({ name: 'llm-test', level: 'silent' }), ...over,
  });
}

beforeAll(async () => {
  server = createServer(stub);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => { await new Promise<void>((r) => server.close(() => r())); });

describe('LLM judge', () => {
  it('asks the endpoint with the fields and the source material, and takes its verdict', async () => {
    behaviour = { kind: 'answer', verdict: 'verified' };
    const j = judge();
    const out = await j.judge(input({ 'insurance.payer': 'Acme' }, 'the caller said her insurer changed to Acme'));
    expect(out).toMatchObject({ outcome: 'verified', judge: 'llm:stub-model', confidence: 1 });
    const last = seen.at(-1)!;
    expect(last.auth).toBe('Bearer sk-test');
    expect(last.body.model).toBe('stub-model');
    expect(last.body.messages.at(-1)!.content).toContain('insurer changed to Acme');
    j.shutdown();
  });

  it('keeps a field the model marks unsupported uncertain, and rejects a malformed value whatever the model says', async () => {
    behaviour = { kind: 'answer', verdict: 'verified', fields: { 'insurance.payer': { supported: false } } };
    const j = judge();
    expect((await j.judge(input({ 'insurance.payer': 'Acme' }, 'x'))).outcome).toBe('uncertain');
    behaviour = { kind: 'answer', verdict: 'verified' };
    const before = seen.length;
    expect(await j.judge(input({ birthDate: '1982-02-30' }, 'born 1982-02-30'))).toMatchObject({ outcome: 'rejected', judge: 'deterministic' });
    expect(seen.length).toBe(before); // no call needed
    j.shutdown();
  });

  it('falls back to the deterministic judge on a 5xx, a garbage answer, a timeout and a closed port', async () => {
    const found = input({ phone: '+15558675309' }, 'call me at 555 867 5309');
    for (const b of [{ kind: 'status', status: 503 }, { kind: 'garbage' }, { kind: 'slow', ms: 1_000 }] as Behaviour[]) {
      behaviour = b;
      const j = judge();
      const started = Date.now();
      const out = await j.judge(found);
      expect(out).toMatchObject({ outcome: 'verified', judge: 'deterministic' });
      expect(out.reason).toContain('llm judge unavailable');
      expect(Date.now() - started).toBeLessThan(1_000);
      j.shutdown();
    }
    const down = judge({ baseUrl: 'http://127.0.0.1:1/v1' });
    expect(await down.judge(found)).toMatchObject({ outcome: 'verified', judge: 'deterministic' });
    down.shutdown();
  });

  it('opens the breaker after repeated failures and stops calling the endpoint', async () => {
    behaviour = { kind: 'status', status: 500 };
    const events: string[] = [];
    const j = judge({ onEvent: (e) => events.push(e) });
    for (let i = 0; i < 4; i++) await j.judge(input({ note: 'n' }, 'n'));
    expect(j.isOpen()).toBe(true);
    const calls = seen.length;
    for (let i = 0; i < 5; i++) expect((await j.judge(input({ note: 'n' }, 'n'))).judge).toBe('deterministic');
    expect(seen.length).toBe(calls);
    expect(events).toContain('open');
    j.shutdown();
  });
});
