/**
 * Runs `fn` over `items` with up to `limit` calls in flight, items that share a
 * key one after another in their order, and returns each item's result (or the
 * Error it failed with) in the items' order. For a batch of records where
 * different entities may go in parallel but one entity's records may not.
 */
export async function mapKeyed<T, R>(
  items: readonly T[],
  keyOf: (item: T) => string,
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<(R | Error)[]> {
  const results: (R | Error)[] = new Array(items.length);
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  });
  const queue = [...groups.values()];
  async function worker(): Promise<void> {
    for (let group = queue.shift(); group; group = queue.shift()) {
      for (const i of group) {
        try {
          results[i] = await fn(items[i] as T);
        } catch (error) {
          results[i] = error instanceof Error ? error : new Error(String(error));
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, queue.length)) }, worker));
  return results;
}
