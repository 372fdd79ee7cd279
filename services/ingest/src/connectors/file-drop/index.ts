import { access } from 'node:fs/promises';
import { ConfigError, sha256Hex } from '@cr/core';
import type { FileDropConfig } from '@cr/world-model';
import type { ConnectorContext, ConnectorFactory } from '../../connector.ts';
import { startTaskLoops, taskLoopOptions, type TaskLoops } from '../../schedule/task-loop.ts';
import { localDropStore, type DropStore } from './drop-store.ts';
import { globMatches, parseDroppedFile } from './parse.ts';

const CHUNK = 500;

/**
 * Watches a drop folder. Each file is read once: its records go through the
 * shared emitter, its malformed rows to dead letters (with file and line), then
 * a checkpoint (file name + content hash) is saved and the file is moved or
 * marked. A crash before the checkpoint re-reads the file (dedupe keeps that
 * quiet); after it, the file is only moved.
 */
export const fileDropConnector: ConnectorFactory<'file_drop'> = async (ctx) => {
  const { config } = ctx.source;
  try { await access(config.directory); } catch { throw new ConfigError('config.directory: folder not found'); }
  const drop = localDropStore({ directory: config.directory, after: config.after, processedDir: config.processedDir });
  let loops: TaskLoops | undefined;
  return {
    async start() {
      loops = startTaskLoops([{ resourceType: 'files', intervalMs: config.intervalMs, run: (signal) => scan(ctx, config, drop, signal) }],
        taskLoopOptions(ctx, config.businessHours));
    },
    async stop() { await loops?.stop(); },
  };
};

async function scan(ctx: ConnectorContext, config: FileDropConfig, drop: DropStore, signal: AbortSignal) {
  let fetched = 0;
  let emitted = 0;
  let files = 0;
  let malformedRows = 0;
  for (const name of await drop.list()) {
    if (signal.aborted) break;
    const rule = config.files.find((r) => globMatches(r.pattern, name));
    if (!rule) continue;
    const bytes = await drop.read(name);
    const hash = sha256Hex(bytes);
    const checkpoint = `file:${name}`;
    if ((await ctx.store.cursor(ctx.source.id, checkpoint)) !== hash) {
      const parsed = parseDroppedFile(name, bytes.toString('utf8'), rule);
      for (let i = 0; i < parsed.records.length; i += CHUNK) emitted += (await ctx.emitter.emit(parsed.records.slice(i, i + CHUNK))).emitted;
      await ctx.deadLetters.write(parsed.malformed.map((m) => ({
        key: `${ctx.source.id}/${name}/${m.line}${m.entry === undefined ? '' : `/${m.entry}`}`,
        value: Buffer.from(m.raw, 'utf8'),
        error: m.error,
        context: { 'dlq.source.file': name, 'dlq.source.line': String(m.line), ...(m.entry === undefined ? {} : { 'dlq.source.entry': String(m.entry) }) },
      })));
      fetched += parsed.records.length;
      malformedRows += parsed.malformed.length;
      await ctx.store.saveCursor(ctx.source.id, checkpoint, hash);
      ctx.logger.info({ file: name, records: parsed.records.length, malformed: parsed.malformed.length, fileHash: hash.slice(0, 12) }, 'ingest.file.processed');
    }
    await drop.finish(name);
    files++;
  }
  return { fetched, emitted, cycle: 'file', ...(files ? { detail: `${files} files, ${malformedRows} malformed rows` } : {}) };
}
