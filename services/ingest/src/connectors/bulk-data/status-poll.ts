import { PayloadError, backoffDelay, isRetriable, describeError, parseRetryAfter, sleep, type Logger } from '@cr/core';
import { header, type TextResponse } from '@cr/fhir';
import type { BulkDataConfig } from '@cr/world-model';

export interface Manifest {
  transactionTime: string;
  requiresAccessToken?: boolean;
  output: { type: string; url: string; count?: number }[];
  error?: { type: string; url: string }[];
}

/**
 * Polls an export's status URL until the manifest is ready. Each 202 is
 * followed by a wait: the server's Retry-After (delta-seconds or HTTP-date)
 * when it is longer, else exponential backoff, capped, with jitter. 429s and
 * transient failures that outlast the guard's own retries are waited out the
 * same way, up to `maxWaitMs`. X-Progress is logged as it comes.
 */
export async function pollStatus(get: () => Promise<TextResponse>, o: { poll: BulkDataConfig['poll']; logger: Logger; signal: AbortSignal; now: () => number; onProgress?: (p: string) => void; wait?: (ms: number) => Promise<void> }): Promise<Manifest> {
  const started = o.now();
  const wait = o.wait ?? sleep;
  const backoff = { initialDelayMs: o.poll.initialDelayMs, maxDelayMs: o.poll.maxDelayMs, jitter: o.poll.jitter };
  for (let attempt = 1; !o.signal.aborted; attempt++) {
    let delay: number;
    try {
      const res = await get();
      if (res.status === 200) {
        let manifest: Manifest;
        try { manifest = JSON.parse(res.text) as Manifest; } catch { throw new PayloadError('export manifest is not JSON'); }
        if (!Array.isArray(manifest.output) || typeof manifest.transactionTime !== 'string') throw new PayloadError('export manifest lacks output or transactionTime');
        return manifest;
      }
      const progress = header(res.headers, 'x-progress');
      if (progress) { o.logger.info({ progress: progress.slice(0, 40) }, 'ingest.bulk.progress'); o.onProgress?.(progress.slice(0, 40)); }
      const requested = parseRetryAfter(header(res.headers, 'retry-after'), o.now());
      delay = Math.min(o.poll.maxDelayMs, Math.max(requested ?? 0, backoffDelay(attempt, undefined, backoff)));
    } catch (error) {
      if (!isRetriable(error)) throw error;
      delay = backoffDelay(attempt, error, backoff);
      o.logger.warn({ attempt, delayMs: delay, ...describeError(error) }, 'ingest.bulk.status_retry');
    }
    if (o.now() - started + delay > o.poll.maxWaitMs) throw new PayloadError(`export not ready after ${o.poll.maxWaitMs} ms`);
    await wait(delay);
  }
  throw new PayloadError('stopped while waiting for the export');
}
