/**
 * Runs the helm binary (see helm-bin.ts) on the chart and parses what it renders.
 */
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { helmBin } from './helm-bin.ts';

const run = promisify(execFile);

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const chartDir = join(repoRoot, 'helm', 'connector-runner');
export const valuesDir = join(repoRoot, 'test', 'helm', 'values');

/** A rendered Kubernetes object; only the fields the tests read are typed. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface HelmResult { code: number; stdout: string; stderr: string }

/** Runs helm with `args`; never throws on a non-zero exit (the result says). */
export async function helm(args: readonly string[]): Promise<HelmResult> {
  const bin = await helmBin();
  try {
    const { stdout, stderr } = await run(bin, [...args], {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
      // No kube context or repositories are involved: keep helm's state out of $HOME.
      env: { ...process.env, HELM_CACHE_HOME: join(dirname(bin), 'cache'), HELM_CONFIG_HOME: join(dirname(bin), 'config'), HELM_DATA_HOME: join(dirname(bin), 'data'), KUBECONFIG: '/dev/null' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
  }
}

export function valuesFile(name: string): string {
  return join(valuesDir, name);
}

/** Value-file and --set arguments. */
export function valueArgs(files: readonly string[] = [], set: readonly string[] = []): string[] {
  return [...files.flatMap((f) => ['-f', valuesFile(f)]), ...set.flatMap((s) => ['--set', s])];
}

/** `helm template` of the chart; the manifests, or the error text when rendering fails. */
export async function template(files: readonly string[] = [], set: readonly string[] = []): Promise<{ manifests: Manifest[]; text: string; error?: string }> {
  const r = await helm(['template', 'cr', chartDir, '--namespace', 'pipeline', ...valueArgs(files, set)]);
  if (r.code !== 0) return { manifests: [], text: r.stdout, error: r.stderr };
  return { manifests: parseManifests(r.stdout), text: r.stdout };
}

/** Multi-document YAML to objects; a syntax error or duplicate key throws. */
export function parseManifests(text: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: true })) {
    if (doc.errors.length) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as Manifest | null;
    if (value) out.push(value);
  }
  return out;
}

export function ofKind(manifests: readonly Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}
