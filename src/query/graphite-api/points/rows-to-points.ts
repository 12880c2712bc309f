/**
 * Stored rows → one float per point, through the type layer: each row folds
 * into its sub-bucket's native data with the type's `decode` (and the
 * schema's `read_func`), and the point is the type's `mean` transform of it
 * (count: its total; gauge: its value; histogram: Σ member·n / Σ n;
 * series and set: the mean of their members as numbers). No data, or a mean
 * that is not a number, is NaN.
 */
import type { Calendar, Row } from "../../../timeseries/index.js";
import type { TypeDef } from "../../../timeseries/types/index.js";
import type { Decode } from "../../../timeseries/types/type-def.js";

/** A transform's result as a point: numbers as they are, numeric text read, anything else null. */
export function toPoint(value: unknown): number {
  if (typeof value === "number") return value;
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === "string") return value.trim() === "" ? Number.NaN : Number(value);
  if (typeof value === "bigint") return Number(value);
  return Number.NaN;
}

/**
 * Write the points of `rows` (one name, sorted by bucket and sub-bucket)
 * into `out`, where `out[i]` is the point of calendar index `baseIndex + i`.
 * Points without rows are left as they are: the caller fills them with NaN
 * first. Rows outside `out` are ignored.
 */
export function fillPoints(type: TypeDef, decode: Decode, cal: Calendar, baseIndex: number, rows: readonly Row[], out: Float64Array): void {
  const mean = type.transforms.mean;
  const n = out.length;
  if (!type.rows.many) {
    // One row per sub-bucket (count, gauge): the row is the whole native.
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      const i = cal.index(row[1]) - baseIndex;
      if (i >= 0 && i < n) out[i] = toPoint(mean(type.decode(undefined, row, decode), cal.duration(i + baseIndex)));
    }
    return;
  }
  // Several rows per sub-bucket: fold each run of one sub-bucket, then take its mean.
  let acc: unknown = undefined;
  let at = -1;
  const flush = () => {
    if (at >= 0 && acc !== undefined) out[at] = toPoint(mean(acc, cal.duration(at + baseIndex)));
  };
  let seen: Map<number, unknown> | null = null;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const i = cal.index(row[1]) - baseIndex;
    if (i < 0 || i >= n) continue;
    if (i !== at) {
      flush();
      // A sub-bucket met again after another (rows not grouped): carry on from what it had.
      if (seen === null) seen = new Map();
      if (at >= 0) seen.set(at, acc);
      acc = seen.get(i);
      at = i;
    }
    acc = type.decode(acc as never, row, decode);
  }
  flush();
}
