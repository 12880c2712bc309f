/** min/max/avg/last of a series, nulls skipped (null when it has no value). */
export interface Stats { min: number | null; max: number | null; avg: number | null; last: number | null }

export function seriesStats(values: ReadonlyArray<number | null>): Stats {
  let min = Infinity, max = -Infinity, sum = 0, n = 0, last: number | null = null;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    n++;
    last = v;
  }
  return n === 0 ? { min: null, max: null, avg: null, last: null } : { min, max, avg: sum / n, last };
}

export const formatValue = (v: number | null) => (v === null ? "–" : Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Math.round(v * 1000) / 1000));
