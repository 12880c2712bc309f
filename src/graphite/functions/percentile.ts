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
