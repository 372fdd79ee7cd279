/** Pairwise precision, recall and F1 of a clustering against the ground truth (as Splink reports on FEBRL). */
export interface PairScores {
  records: number;
  truePairs: number;
  predictedPairs: number;
  correctPairs: number;
  precision: number;
  recall: number;
  f1: number;
  /** Entities the records were resolved into, and real people behind them. */
  entities: number;
  people: number;
}

const pairs = (n: number): number => (n * (n - 1)) / 2;

export function pairScores(items: Iterable<{ personId: string; entityId: string }>): PairScores {
  const byPerson = new Map<string, number>();
  const byEntity = new Map<string, number>();
  const byBoth = new Map<string, number>();
  let records = 0;
  for (const { personId, entityId } of items) {
    records++;
    byPerson.set(personId, (byPerson.get(personId) ?? 0) + 1);
    byEntity.set(entityId, (byEntity.get(entityId) ?? 0) + 1);
    const k = `${entityId}\u0000${personId}`;
    byBoth.set(k, (byBoth.get(k) ?? 0) + 1);
  }
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((s, n) => s + pairs(n), 0);
  const truePairs = sum(byPerson);
  const predictedPairs = sum(byEntity);
  const correctPairs = sum(byBoth);
  const precision = predictedPairs ? correctPairs / predictedPairs : 1;
  const recall = truePairs ? correctPairs / truePairs : 1;
  return {
    records, truePairs, predictedPairs, correctPairs, precision, recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    entities: byEntity.size, people: byPerson.size,
  };
}
