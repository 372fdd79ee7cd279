/** Token exchange and the SSRF guard against a real REST peer on loopback. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restAuthSchema } from '@cr/world-model';
import { createRestApi, type RestApi } from '@cr/test-peers';
import { tokenExchange } from './auth.ts';
import { assertPublicUrl, isBlockedAddress } from './ssrf.ts';

let api: RestApi;
beforeAll(async () => { api = await createRestApi({ exchangeSecret: 's3cret', exchangeDelayMs: 150, exchangeTtlSec: 60 }); });
afterAll(async () => { await api.close(); });

const exchangeConfig = () => restAuthSchema.parse({
  type: 'token_exchange', exchangeUrl: `${api.url}/exchange`, secretRef: 'env:X', params: ['practice'], tokenField: 'result.token',
  secretHeader: { name: 'x-exchange-secret', template: 'Key {secret}' },
}) as Extract<ReturnType<typeof restAuthSchema.parse>, { type: 'token_exchange' }>;

describe('bearer-token exchange', () => {
  it('mints one token per distinct parameter set, shared by concurrent requests, cached under a hash', async () => {
    const ex = tokenExchange({ auth: exchangeConfig(), secret: 's3cret', allow: ['127.0.0.1'], timeoutMs: 5_000 });
    const all = await Promise.all([...Array(8)].map((_, i) => ex.token({ practice: i % 2 ? 'p2' : 'p1', page: String(i) })));
    expect(api.stats.mints).toEqual({ p1: 1, p2: 1 });
    expect(new Set(all.map((t) => t.value)).size).toBe(2);
    await ex.token({ practice: 'p1' });
    expect(api.stats.mints).toEqual({ p1: 1, p2: 1 });
    expect(ex.cachedKeys().every((k) => /^[0-9a-f]{64}$/.test(k) && !k.includes('p1'))).toBe(true);
  });

  it('refuses to mint towards a loopback address that is not allow-listed', async () => {
    const ex = tokenExchange({ auth: exchangeConfig(), secret: 's3cret', allow: [], timeoutMs: 5_000 });
    await expect(ex.token({ practice: 'p3' })).rejects.toThrow(/config.auth.exchangeUrl: .*private, loopback or link-local/);
    expect(api.stats.mints.p3).toBeUndefined();
  });
});

describe('SSRF guard', () => {
  it('classifies private, loopback and link-local addresses', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1']) expect(isBlockedAddress(ip), ip).toBe(true);
    for (const ip of ['8.8.8.8', '172.32.0.1', '2001:4860:4860::8888']) expect(isBlockedAddress(ip), ip).toBe(false);
  });

  it('checks names after resolution, at run time too: a name that starts resolving inward is refused', async () => {
    let answer = ['93.184.216.34'];
    const resolver = async () => answer;
    await expect(assertPublicUrl('https://tokens.example.test/x', 'config.auth.exchangeUrl', [], resolver)).resolves.toBeUndefined();
    answer = ['10.0.0.7'];
    await expect(assertPublicUrl('https://tokens.example.test/x', 'config.auth.exchangeUrl', [], resolver)).rejects.toThrow('config.auth.exchangeUrl: tokens.example.test resolves to a private');
    await expect(assertPublicUrl('http://localhost:1/x', 'p', [], resolver)).rejects.toThrow('loopback host refused');
    await expect(assertPublicUrl('http://127.0.0.1:1/x', 'p', ['127.0.0.1'], resolver)).resolves.toBeUndefined();
  });
});
