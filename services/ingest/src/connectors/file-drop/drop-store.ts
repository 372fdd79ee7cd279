import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where dropped files live. The local folder is one implementation; object
 * storage (S3, GCS, Azure Blob) plugs in behind the same four calls.
 */
export interface DropStore {
  /** Names of files waiting to be processed, oldest first. */
  list(): Promise<string[]>;
  read(name: string): Promise<Buffer>;
  /** Takes a processed file out of the queue (moves it, or marks it done). */
  finish(name: string): Promise<void>;
  describe(): string;
}

const MARK = '.done';

export function localDropStore(o: { directory: string; after: 'move' | 'mark'; processedDir: string }): DropStore {
  const processed = join(o.directory, o.processedDir);
  return {
    async list() {
      const entries = await readdir(o.directory, { withFileTypes: true });
      const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
      const waiting = [...names].filter((n) => !n.startsWith('.') && !n.endsWith(MARK) && !n.endsWith('.tmp') && !names.has(n + MARK));
      const withTime = await Promise.all(waiting.map(async (n) => [n, (await stat(join(o.directory, n))).mtimeMs] as const));
      return withTime.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).map(([n]) => n);
    },
    read: (name) => readFile(join(o.directory, name)),
    async finish(name) {
      if (o.after === 'mark') { await writeFile(join(o.directory, name + MARK), ''); return; }
      await mkdir(processed, { recursive: true });
      await rename(join(o.directory, name), join(processed, name));
    },
    describe: () => `file://${o.directory}`,
  };
}
