/**
 * Dot-path extraction from nested source data.
 *
 *   name[0].family                      index
 *   telecom[system=phone].value         array filter: entries whose `system` is `phone`
 *   telecom[system=phone|mobile].value  ... whose `system` is one of several values
 *   participant[actor.reference^=Patient/].actor.reference
 *                                       filter on a nested field, by prefix
 *   participant.actor[reference*=Patient/].reference
 *                                       ... by substring (absolute and relative references)
 *   identifier[type.text!=SSN]          filter by inequality
 *   name[*].given                       every entry
 *   type.coding.code                    a key on a list applies to every entry (as in FHIRPath)
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
        // On a list a key applies to every entry, as in FHIRPath: `name.family`.
        for (const entry of Array.isArray(node) ? node : [node]) {
          if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) continue;
          const value = (entry as Record<string, unknown>)[step.key];
          if (value !== undefined) next.push(value);
        }
        continue;
      }
      if (!Array.isArray(node)) {
        // A filter on a single object (FHIR often has 0..1 where others have 0..*).
        if (step.kind === 'filter' && typeof node === 'object' && matches(node, step)) next.push(node);
        continue;
      }
      if (step.kind === 'index') {
        if (node[step.index] !== undefined) next.push(node[step.index]);
      } else if (step.kind === 'all') {
        next.push(...node);
      } else {
        next.push(...node.filter((e) => e !== null && typeof e === 'object' && matches(e, step)));
      }
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== null && v !== undefined);
}

export function extractFirst(source: unknown, path: string): unknown {
  return extractAll(source, path)[0];
}

export type FilterOp = '=' | '!=' | '^=' | '*=';

export type Step =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; field: string; op: FilterOp; values: string[] };

function matches(entry: unknown, step: Extract<Step, { kind: 'filter' }>): boolean {
  const found = extractAll(entry, step.field).filter((v) => typeof v !== 'object').map(String);
  switch (step.op) {
    case '=': return found.some((v) => step.values.includes(v));
    case '!=': return !found.some((v) => step.values.includes(v));
    case '^=': return found.some((v) => step.values.some((p) => v.startsWith(p)));
    case '*=': return found.some((v) => step.values.some((p) => v.includes(p)));
  }
}

/** Why a path is malformed; rule-set validation reports it with the rule's dotted path. */
export class PathSyntaxError extends Error {
  override readonly name = 'PathSyntaxError';
}

const cache = new Map<string, Step[]>();

export function parsePath(path: string): Step[] {
  const hit = cache.get(path);
  if (hit) return hit;
  if (!path.trim()) throw new PathSyntaxError('empty path');
  const steps: Step[] = [];
  const re = /([^.[\]]+)|\[([^\]]*)\]|(\.)|(.)/g;
  for (const m of path.matchAll(re)) {
    if (m[3] !== undefined) continue;
    if (m[4] !== undefined) throw new PathSyntaxError(`unexpected "${m[4]}" at ${m.index} in ${path}`);
    if (m[1] !== undefined) { steps.push({ kind: 'key', key: m[1] }); continue; }
    const inner = (m[2] ?? '').trim();
    if (inner === '*') steps.push({ kind: 'all' });
    else if (/^\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
    else steps.push(parseFilter(inner, path));
  }
  cache.set(path, steps);
  return steps;
}

function parseFilter(inner: string, path: string): Step {
  const m = /^([^=!^*]+?)\s*(!=|\^=|\*=|=)\s*(.*)$/.exec(inner);
  if (!m || !m[1] || m[3] === undefined || m[3] === '') throw new PathSyntaxError(`bad path step [${inner}] in ${path}: use [n], [*], [field=value], [field!=value], [field^=prefix] or [field*=part]`);
  return { kind: 'filter', field: m[1].trim(), op: m[2] as FilterOp, values: m[3].split('|').map((v) => v.trim()) };
}
