/** The optional LLM code mapper against a real HTTP peer on loopback: up, unsure, down. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFhirServer, type FhirServer } from '@cr/fhir-test-server';
import type { Db } from '@cr/runtime';
import { createLogger } from '@cr/core';
import { createLlmCodeMapper, type LlmFallback } from './code-mapper.ts';
import { entity, field, freshDb, sync, testContext } from './testing.ts';

let llm: Server;
let llmUrl = '';
let mode: 'answer' | 'unsure' | 'down' = 'answer';
const asked: Array<{ field: string; codes: string[] }> = [];
let fhir: FhirServer;
let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  llm = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const q = JSON.parse(body) as { field: string; text: string; codes: string[] };
      asked.push({ field: q.field, codes: q.codes });
      if (mode === 'down') { res.writeHead(503).end(); return; }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(mode === 'answer' ? { code: 'UHC', confidence: 0.93 } : { code: 'AETNA', confidence: 0.3 }));
    });
  });
  await new Promise<void>((r) => llm.listen(0, '127.0.0.1', r));
  llmUrl = `http://127.0.0.1:${(llm.address() as AddressInfo).port}/map`;
  fhir = await createFhirServer();
  ({ db, drop } = await freshDb('sink_llm'));
});

afterAll(async () => {
  await new Promise((r) => llm?.close(r));
  await fhir?.close();
  await drop?.();
});

const carrier = (id: string, text: string) => entity(id, 'Patient', { 'name.family': field('Doe'), birthDate: field('1970-01-01'), 'insurance.carrier': field(text) });
const carrierCode = async (targetId: string): Promise<string | undefined> => {
  const p = (await (await fetch(`${fhir.url}/Patient/${targetId}`)).json()) as { extension?: { url: string; valueCode: string }[] };
  return p.extension?.find((e) => e.url === 'urn:connector-runner:insurance-carrier')?.valueCode;
};

describe('insurance carrier description -> carrier code', () => {
  it('uses the LLM\'s code when it is sure, the table when it is unsure or down', async () => {
    const fallbacks: LlmFallback[] = [];
    const codes = createLlmCodeMapper({ llm: { url: llmUrl, timeoutMs: 2_000, minConfidence: 0.8 }, logger: createLogger({ name: 't', level: 'silent' }), onFallback: (r) => fallbacks.push(r) });
    const ctx = await testContext(db, {
      id: 'llm', target: { baseUrl: fhir.url }, llm: { url: llmUrl },
      mappings: { Patient: { target: 'Patient', required: ['name.family'], fields: {
        'name.family': { path: 'name[0].family' }, birthDate: { path: 'birthDate' },
        'insurance.carrier': { path: 'extension[url=urn:connector-runner:insurance-carrier].valueCode', code: { table: { aetna: 'AETNA', 'blue cross': 'BCBS' }, codes: ['AETNA', 'BCBS', 'UHC'], llm: true } },
      } } },
    }, codes);

    mode = 'answer';
    const a = await sync(ctx, carrier('c-1', 'united health care choice plus'));
    expect(await carrierCode(a.results.at(-1)!.targetId!)).toBe('UHC');
    expect(asked.at(-1)).toEqual({ field: 'insurance.carrier', codes: ['AETNA', 'BCBS', 'UHC'] });

    mode = 'unsure';
    const b = await sync(ctx, carrier('c-2', 'Blue Cross of Idaho'));
    expect(await carrierCode(b.results.at(-1)!.targetId!)).toBe('BCBS');

    mode = 'down';
    const c = await sync(ctx, carrier('c-3', 'Aetna Choice POS II'));
    expect(await carrierCode(c.results.at(-1)!.targetId!)).toBe('AETNA');
    expect(fallbacks).toEqual(['unsure', 'down']);

    await new Promise((r) => llm.close(r)); // gone entirely: writes go on
    const d = await sync(ctx, carrier('c-4', 'aetna'));
    expect(d.results.at(-1)!.outcome).toBe('written');
    expect(await carrierCode(d.results.at(-1)!.targetId!)).toBe('AETNA');
  });
});
