import { ConfigError, PayloadError } from '@cr/core';
import { fhirRequestText, header, loadPrivateKey, redactUrl, smartBackendAuth, type FhirResource, type SmartBackendAuth } from '@cr/fhir';
import type { BulkDataConfig } from '@cr/world-model';
import type { ConnectorContext, ConnectorFactory } from '../../connector.ts';
import type { Candidate } from '../../records/emitter.ts';
import { startTaskLoops, taskLoopOptions, type TaskLoops } from '../../schedule/task-loop.ts';
import { secretAt } from '../../secrets.ts';
import { fhirCandidate } from '../fhir-store/fhir-reader.ts';
import { pollStatus, type Manifest } from './status-poll.ts';

const CHUNK = 500;

/** Saved after the kick-off and after every file, so a failure resumes the job instead of restarting it. */
interface JobCheckpoint { statusUrl: string; done: string[]; manifest?: Manifest }

/**
 * FHIR Bulk Data: `$export` kick-off (`Prefer: respond-async`), status polling,
 * then each NDJSON file downloaded on its own and checkpointed; error files are
 * reported (health detail) and their entries dead-lettered. Each export after
 * the first asks only for changes since the last one's transactionTime.
 */
export const bulkDataConnector: ConnectorFactory<'fhir_bulk'> = async (ctx) => {
  const { config } = ctx.source;
  let auth: SmartBackendAuth | undefined;
  if (config.auth) {
    const pem = await secretAt(ctx.secrets, 'config.auth.privateKeyRef', config.auth.privateKeyRef);
    await loadPrivateKey(pem, config.auth.algorithm).catch((e: Error) => { throw new ConfigError(`config.auth.privateKeyRef: ${e.message}`); });
    auth = smartBackendAuth({ fhirBaseUrl: config.baseUrl, clientId: config.auth.clientId, privateKeyPem: pem, keyId: config.auth.keyId, algorithm: config.auth.algorithm, scopes: config.auth.scopes, renewBeforeMs: config.auth.renewBeforeMs, ...(config.auth.tokenEndpoint ? { tokenEndpoint: config.auth.tokenEndpoint } : {}) });
  }
  let loops: TaskLoops | undefined;
  return {
    async start() {
      loops = startTaskLoops([{ resourceType: 'export', intervalMs: config.intervalMs, run: (signal) => exportCycle(ctx, config, auth, signal) }],
        taskLoopOptions(ctx, config.businessHours));
    },
    async stop() { await loops?.stop(); },
  };
};

async function exportCycle(ctx: ConnectorContext, config: BulkDataConfig, auth: SmartBackendAuth | undefined, signal: AbortSignal) {
  const base = config.baseUrl.replace(/\/$/, '');
  const id = ctx.source.id;
  const get = (what: string, url: string, accept: string, withToken = true) => ctx.guard.call(what, async () => fhirRequestText('GET', url, {
    headers: { accept, ...(auth && withToken ? { authorization: `Bearer ${await auth.token()}` } : {}), ...(what === 'kick-off' ? { prefer: 'respond-async' } : {}) },
    timeoutMs: config.timeoutMs,
  }), { auth });

  let job = JSON.parse((await ctx.store.cursor(id, 'bulk:job')) ?? 'null') as JobCheckpoint | null;
  const resumed = job !== null;
  if (!job) {
    const since = await ctx.store.cursor(id, 'bulk:since');
    const path = config.level === 'system' ? '$export' : config.level === 'patient' ? 'Patient/$export' : `Group/${config.groupId}/$export`;
    const params = new URLSearchParams({ _type: config.types.join(','), ...(since ? { _since: since } : {}) });
    const kick = await get('kick-off', `${base}/${path}?${params}`, 'application/fhir+json');
    const statusUrl = header(kick.headers, 'content-location');
    if (kick.status !== 202 || !statusUrl) throw new PayloadError(`kick-off answered ${kick.status} without Content-Location`);
    if (new URL(statusUrl).origin !== new URL(base).origin) throw new PayloadError('status URL leaves the server');
    job = { statusUrl, done: [] };
    await ctx.store.saveCursor(id, 'bulk:job', JSON.stringify(job));
  }
  let progress = '';
  const manifest = job.manifest ?? await pollStatus(() => get('status', job!.statusUrl, 'application/json'), { poll: config.poll, logger: ctx.logger, signal, now: ctx.now, onProgress: (p) => {
    progress = p;
    // Show the server's progress while the job runs, not only when the cycle ends.
    void ctx.health.report({ resourceType: 'export', startedAt: ctx.now(), durationMs: 0, fetched: 0, emitted: 0, cycle: 'export', detail: `progress ${p}` });
  } });
  if (!job.manifest) { job.manifest = manifest; await ctx.store.saveCursor(id, 'bulk:job', JSON.stringify(job)); }
  let fetched = 0;
  let emitted = 0;
  for (const file of manifest.output) {
    if (signal.aborted) return { fetched, emitted, cycle: 'export', detail: 'stopped' };
    if (job.done.includes(file.url)) continue;
    const res = await get(`file ${file.type}`, file.url, 'application/fhir+ndjson', manifest.requiresAccessToken !== false);
    const { records, malformed } = parseNdjson(res.text);
    for (let i = 0; i < records.length; i += CHUNK) emitted += (await ctx.emitter.emit(records.slice(i, i + CHUNK))).emitted;
    await ctx.deadLetters.write(malformed.map((m) => ({ key: `${id}/${redactUrl(file.url)}/${m.line}`, value: Buffer.from(m.raw), error: new PayloadError(`export file line ${m.line}: ${m.reason}`), context: { 'dlq.source.file': redactUrl(file.url), 'dlq.source.line': String(m.line) } })));
    fetched += records.length;
    job.done.push(file.url);
    await ctx.store.saveCursor(id, 'bulk:job', JSON.stringify(job));
  }
  let errors = 0;
  for (const file of manifest.error ?? []) {
    if (job.done.includes(file.url)) continue;
    const res = await get('error file', file.url, 'application/fhir+ndjson', manifest.requiresAccessToken !== false);
    const lines = res.text.split('\n').map((l, i) => ({ raw: l, line: i + 1 })).filter((l) => l.raw.trim());
    errors += lines.length;
    await ctx.deadLetters.write(lines.map((l) => ({ key: `${id}/${redactUrl(file.url)}/${l.line}`, value: Buffer.from(l.raw), error: new PayloadError('reported in the export error file'), context: { 'dlq.source.file': redactUrl(file.url), 'dlq.source.line': String(l.line) } })));
    job.done.push(file.url);
    await ctx.store.saveCursor(id, 'bulk:job', JSON.stringify(job));
  }
  await ctx.store.saveCursor(id, 'bulk:since', manifest.transactionTime);
  await ctx.store.saveCursor(id, 'bulk:job', 'null');
  // The server may now drop the files; a failure here costs nothing.
  await fhirRequestText('DELETE', job.statusUrl, { headers: auth ? { authorization: `Bearer ${await auth.token()}` } : {}, timeoutMs: config.timeoutMs }).catch(() => undefined);
  const detail = [resumed ? 'resumed' : '', progress ? `last progress ${progress}` : '', `${manifest.output.length} files`, errors ? `${errors} export errors` : ''].filter(Boolean).join(', ');
  return { fetched, emitted, cycle: 'export', detail };
}

function parseNdjson(text: string): { records: Candidate[]; malformed: { line: number; raw: string; reason: string }[] } {
  const records: Candidate[] = [];
  const malformed: { line: number; raw: string; reason: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    try {
      const r = JSON.parse(raw) as FhirResource;
      if (typeof r?.resourceType !== 'string' || typeof r.id !== 'string') malformed.push({ line: i + 1, raw, reason: 'no resourceType or id' });
      else records.push(fhirCandidate(r as FhirResource & { id: string }));
    } catch { malformed.push({ line: i + 1, raw, reason: 'not JSON' }); }
  });
  return { records, malformed };
}
