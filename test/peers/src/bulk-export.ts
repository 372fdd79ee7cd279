import { randomUUID } from 'node:crypto';
import { json, listen } from './http-util.ts';

export interface BulkExportStats {
  kickoffs: number;
  statusPolls: number;
  throttled: number;
  /** GETs per output file name, failures included. */
  fileGets: Record<string, number>;
  deletes: number;
  /** Retry-After values sent, in order. */
  retryAfters: string[];
  progress: string[];
}

export interface BulkExportOptions {
  /** FHIR base the exported resources are read from. */
  upstream: string;
  /** How many status polls answer 202 (in progress) before the manifest. */
  pollsBeforeReady?: number;
  /** Status polls that answer 429 with Retry-After before anything else. */
  throttleStatus?: number;
  /** Resources per NDJSON file. */
  linesPerFile?: number;
  /** File names (e.g. `Patient-2.ndjson`) that answer 500 on their first GET. */
  failOnce?: string[];
  /** Error-file lines (OperationOutcomes) to report. */
  errors?: string[];
}

/**
 * A FHIR Bulk Data (`$export`) server over the test FHIR server: kick-off with
 * `Prefer: respond-async` (202 + Content-Location), status polls that answer
 * 202 with X-Progress and Retry-After (alternating delta-seconds and HTTP-date)
 * and, when asked, storms of 429, then a manifest of NDJSON files and an error
 * file; files can be made to fail once.
 */
export async function createBulkExportServer(o: BulkExportOptions) {
  const upstream = o.upstream.replace(/\/$/, '');
  const stats: BulkExportStats = { kickoffs: 0, statusPolls: 0, throttled: 0, fileGets: {}, deletes: 0, retryAfters: [], progress: [] };
  const jobs = new Map<string, { polls: number; throttle: number; files: Map<string, string>; manifest: Record<string, unknown> }>();
  const failed = new Set<string>();
  let origin = '';

  async function readAll(type: string, since: string | null): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let url: string | undefined = `${upstream}/${type}?_count=100${since ? `&_lastUpdated=gt${encodeURIComponent(since)}` : ''}`;
    while (url) {
      const b = (await (await fetch(url, { headers: { accept: 'application/fhir+json' } })).json()) as { entry?: { resource: Record<string, unknown> }[]; link?: { relation: string; url: string }[] };
      out.push(...(b.entry ?? []).map((e) => e.resource));
      url = b.link?.find((l) => l.relation === 'next')?.url;
    }
    return out;
  }

  const http = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (/\/fhir\/R4(\/Group\/[^/]+|\/Patient)?\/\$export$/.test(url.pathname) && req.method === 'GET') {
      if (!/respond-async/.test(String(req.headers.prefer ?? ''))) return json(res, 400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid' }] });
      stats.kickoffs++;
      const id = randomUUID();
      const transactionTime = new Date().toISOString();
      const types = (url.searchParams.get('_type') ?? 'Patient').split(',');
      const files = new Map<string, string>();
      const output: { type: string; url: string; count: number }[] = [];
      for (const type of types) {
        const all = await readAll(type, url.searchParams.get('_since'));
        const per = o.linesPerFile ?? 5;
        for (let i = 0; i * per < all.length; i++) {
          const name = `${type}-${i + 1}.ndjson`;
          const part = all.slice(i * per, (i + 1) * per);
          files.set(name, part.map((r) => JSON.stringify(r)).join('\n') + '\n');
          output.push({ type, url: `${origin}/files/${id}/${name}`, count: part.length });
        }
      }
      const error: { type: string; url: string }[] = [];
      if (o.errors?.length) {
        files.set('errors.ndjson', o.errors.map((e) => JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: e }] })).join('\n') + '\n');
        error.push({ type: 'OperationOutcome', url: `${origin}/files/${id}/errors.ndjson` });
      }
      jobs.set(id, { polls: 0, throttle: o.throttleStatus ?? 0, files, manifest: { transactionTime, request: `${origin}${url.pathname}${url.search}`, requiresAccessToken: false, output, error } });
      res.writeHead(202, { 'content-location': `${origin}/jobs/${id}` }).end();
      return;
    }
    const job = /^\/jobs\/([^/]+)$/.exec(url.pathname);
    if (job) {
      const j = jobs.get(job[1]!);
      if (!j) return json(res, 404, { error: 'no such job' });
      if (req.method === 'DELETE') { stats.deletes++; jobs.delete(job[1]!); res.writeHead(202).end(); return; }
      stats.statusPolls++;
      if (j.throttle > 0) {
        j.throttle--; stats.throttled++;
        const ra = stats.throttled % 2 ? '1' : new Date(Date.now() + 1_000).toUTCString();
        stats.retryAfters.push(ra);
        return json(res, 429, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'throttled' }] }, { 'retry-after': ra });
      }
      const need = o.pollsBeforeReady ?? 2;
      if (j.polls < need) {
        j.polls++;
        const progress = `${Math.round((j.polls / (need + 1)) * 100)}%`;
        stats.progress.push(progress);
        const ra = j.polls % 2 ? '1' : new Date(Date.now() + 1_000).toUTCString();
        stats.retryAfters.push(ra);
        res.writeHead(202, { 'x-progress': progress, 'retry-after': ra }).end();
        return;
      }
      return json(res, 200, j.manifest);
    }
    const file = /^\/files\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (file) {
      const name = file[2]!;
      stats.fileGets[name] = (stats.fileGets[name] ?? 0) + 1;
      const body = jobs.get(file[1]!)?.files.get(name);
      if (body === undefined) return json(res, 404, { error: 'gone' });
      if (o.failOnce?.includes(name) && !failed.has(name)) { failed.add(name); return json(res, 500, { error: 'disk hiccup' }); }
      res.writeHead(200, { 'content-type': 'application/fhir+ndjson' }).end(body);
      return;
    }
    json(res, 404, { error: 'not found' });
  });
  origin = http.origin;
  return { url: `${origin}/fhir/R4`, stats, close: http.close };
}

export type BulkExportServer = Awaited<ReturnType<typeof createBulkExportServer>>;
