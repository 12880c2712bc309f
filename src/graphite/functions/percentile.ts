/** graphite-web's `_getPercentile` (NIST rank method), with NaN as null. */
import { NULL } from "../series.js";

export function percentile(points: ArrayLike<number>, n: number, interpolate = false): number {
  const sorted = Array.from(points).filter((v) => v === v).sort((a, b) => a - b);
  if (sorted.length === 0) return NULL;
  const fractional = (n / 100) * (sorted.length + 1);
  let rank = Math.trunc(fractional);
  const fraction = fractional - rank;
  if (!interpolate) rank += Math.ceil(fraction);
  let p: number;
  if (rank === 0) p = sorted[0];
  else if (rank - 1 >= sorted.length) p = sorted[sorted.length - 1];
  else p = sorted[rank - 1];
  if (interpolate && rank < sorted.length) p = p + fraction * (sorted[rank] - p);
  return p;
}

/**
 * The same rank rule (not interpolated) over weighted values: `counts.get(v)` occurrences of each `v`, as a
 * histogram keeps them. Equal to {@link percentile} of the samples written out one by one, without writing
 * them out: the rank is found by walking the sorted distinct values and their cumulative counts.
 */
export function weightedPercentile(counts: ReadonlyMap<number, number>, n: number): number {
  const values = [...counts.keys()].filter((v) => v === v && (counts.get(v) ?? 0) > 0).sort((a, b) => a - b);
  let total = 0;
  for (const v of values) total += counts.get(v)!;
  if (values.length === 0) return NULL;
  const fractional = (n / 100) * (total + 1);
  let rank = Math.trunc(fractional);
  rank += Math.ceil(fractional - rank);
  if (rank <= 1) return values[0];
  if (rank - 1 >= total) return values[values.length - 1];
  let seen = 0;
  for (const v of values) {
    seen += counts.get(v)!;
    if (seen >= rank) return v;
  }
  return values[values.length - 1];
}
