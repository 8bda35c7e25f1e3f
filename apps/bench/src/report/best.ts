// Which rows hold the best value of a column. Lower is better for every reported metric; ties are all best;
// a column where every row has the same value marks nothing (there is no winner to point at).

/** Indices of the minimum values, or none when all values are equal. */
export function bestIndices(values: readonly number[]): Set<number> {
  if (values.length === 0) return new Set();
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (min === max) return new Set();
  return new Set(values.flatMap((v, i) => (v === min ? [i] : [])));
}
