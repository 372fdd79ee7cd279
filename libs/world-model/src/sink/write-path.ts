import { parsePath, PathSyntaxError, type Step } from '../mapping/dot-path.ts';

/**
 * Writing by dot path: the inverse of the inbound extraction paths, so a sink's
 * field mapping reads like the source's rule set.
 *
 *   birthDate                                  key
 *   name[0].family                             index (missing entries are created)
 *   telecom[system=phone].value                the entry whose `system` is `phone`, added if none
 *   extension[url=urn:x:carrier].valueCode     same, on any key
 *
 * `[*]`, `!=`, `^=` and multi-value filters select but cannot say what to create,
 * so they are refused when a sink's configuration is checked.
 */
export type PathEntry = readonly [path: string, value: unknown];

/** Why a path cannot be written, or undefined when it can. */
export function unwritablePath(path: string): string | undefined {
  let steps: Step[];
  try { steps = parsePath(path); } catch (error) { return (error as Error).message; }
  if (steps[0]?.kind !== 'key') return `${path}: must start with a key`;
  for (const s of steps) {
    if (s.kind === 'all') return `${path}: [*] cannot be written; use [n] or [field=value]`;
    if (s.kind === 'filter' && (s.op !== '=' || s.values.length !== 1 || s.field.includes('.'))) {
      return `${path}: only [field=value] filters on a direct field can be written`;
    }
  }
  return undefined;
}

/** `doc` with every entry written, in order. Never mutates `doc`. */
export function withPaths<T extends Record<string, unknown>>(doc: T, entries: readonly PathEntry[]): T {
  const out = structuredClone(doc);
  for (const [path, value] of entries) assign(out, path, value);
  return out;
}

type Container = Record<string, unknown> | unknown[];

function asList(node: Container): unknown[] {
  if (!Array.isArray(node)) throw new PathSyntaxError('a list step on an object');
  return node;
}

function assign(root: Record<string, unknown>, path: string, value: unknown): void {
  const problem = unwritablePath(path);
  if (problem) throw new PathSyntaxError(problem);
  const steps = parsePath(path);
  let node: Container = root;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const last = i === steps.length - 1;
    const next = steps[i + 1];
    if (step.kind === 'key') {
      const obj = objectOf(node);
      if (last) { obj[step.key] = structuredClone(value); return; }
      obj[step.key] = ensure(obj[step.key], next!);
      node = obj[step.key] as Container;
    } else if (step.kind === 'index') {
      const arr = asList(node);
      while (arr.length <= step.index) arr.push({});
      if (last) { arr[step.index] = structuredClone(value); return; }
      arr[step.index] = ensure(arr[step.index], next!);
      node = arr[step.index] as Container;
    } else if (step.kind === 'filter') {
      const arr = asList(node);
      const wanted = step.values[0]!;
      let entry = arr.find((e) => e !== null && typeof e === 'object' && String((e as Record<string, unknown>)[step.field]) === wanted);
      if (!entry) { entry = { [step.field]: wanted }; arr.push(entry); }
      if (last) { Object.assign(entry as object, value as object); return; }
      node = entry as Container;
    }
  }
}

/**
 * The container the next step needs, keeping what is there: a single object is
 * wrapped when a list is wanted, and a key on a list goes to its first entry
 * (never replacing data the target already holds).
 */
function ensure(current: unknown, next: Step): Container {
  if (next.kind !== 'key') {
    if (Array.isArray(current)) return current;
    return current !== null && typeof current === 'object' ? [current] : [];
  }
  if (Array.isArray(current)) {
    if (current[0] === null || typeof current[0] !== 'object' || Array.isArray(current[0])) current[0] = {};
    return current;
  }
  return current !== null && typeof current === 'object' ? current as Record<string, unknown> : {};
}

/** Where a key step lands: in an object, or in the first entry of a list. */
function objectOf(node: Container): Record<string, unknown> {
  return Array.isArray(node) ? node[0] as Record<string, unknown> : node;
}
