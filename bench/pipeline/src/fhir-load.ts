import { request } from 'node:http';

/**
 * Loads resources into a FHIR server with batch Bundles (one request per chunk).
 * Each request on a fresh connection: a POST is not retried, and a reused
 * keep-alive socket that the loaded server has just closed would fail it.
 */

const CHUNK = 200;

function post(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/fhir+json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('FHIR batch: no answer within 60 s')));
    req.end(body);
  });
}

export async function createBatch(baseUrl: string, resources: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < resources.length; i += CHUNK) {
    const entry = resources.slice(i, i + CHUNK).map((resource) => ({ resource, request: { method: 'POST', url: String(resource.resourceType) } }));
    const res = await post(baseUrl, JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }));
    if (res.status !== 200) throw new Error(`FHIR batch: HTTP ${res.status}`);
    const body = JSON.parse(res.text) as { entry?: { response?: { status?: string } }[] };
    const failed = (body.entry ?? []).filter((e) => !String(e.response?.status ?? '').startsWith('201'));
    if (failed.length) throw new Error(`FHIR batch: ${failed.length} of ${entry.length} entries not created (first: ${failed[0]?.response?.status})`);
  }
}
