/**
 * A Postgres text[] literal for a `?::text[]` binding (knex would expand a JS
 * array into a list of bindings). Every element quoted, `"` and `\` escaped.
 */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
