/**
 * Dot-path extraction from nested source data.
 *
 *   name[0].family            index
 *   telecom[system=phone].value   array filter (every entry whose `system` is `phone`)
 *   name[*].given             every entry
 *
 * Always returns a list of every match (empty when nothing matches); callers pick
 * the first or all. Input is never mutated.
 */
export function extractAll(source: unknown, path: string): unknown[] {
  let current: unknown[] = [source];
  for (const step of parsePath(path)) {
    const next: unknown[] = [];
    for (const node of current) {
      if (node === null || node === undefined) continue;
      if (step.kind === 'key') {
        const value = (node as Record<string, unknown>)[step.key];
        if (value !== undefined) next.push(value);
        continue;
      }
      if (!Array.isArray(node)) continue;
      if (step.kind === 'index') {
        if (node[step.index] !== undefined) next.push(node[step.index]);
      } else if (step.kind === 'all') {
        next.push(...node);
      } else {
        next.push(...node.filter((e) => e && typeof e === 'object' && String((e as Record<string, unknown>)[step.field]) === step.equals));
      }
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== null && v !== undefined);
}

export function extractFirst(source: unknown, path: string): unknown {
  return extractAll(source, path)[0];
}

type Step =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; field: string; equals: string };

const cache = new Map<string, Step[]>();

export function parsePath(path: string): Step[] {
  const hit = cache.get(path);
  if (hit) return hit;
  const steps: Step[] = [];
  const re = /([^.[\]]+)|\[([^\]]*)\]/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) steps.push({ kind: 'key', key: m[1] });
    else {
      const inner = m[2] ?? '';
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else {
        const eq = inner.indexOf('=');
        if (eq < 1) throw new Error(`bad path step [${inner}] in ${path}`);
        steps.push({ kind: 'filter', field: inner.slice(0, eq), equals: inner.slice(eq + 1) });
      }
    }
  }
  cache.set(path, steps);
  return steps;
}
