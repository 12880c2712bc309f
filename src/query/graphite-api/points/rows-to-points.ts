/**
 * Stored rows → one float per point, through the type layer: each row folds
 * into its sub-bucket's native data with the type's `decode` (and the
 * schema's `read_func`), and the point is the type's `mean` transform of it
 * (count: its total; gauge: its value; histogram: Σ member·n / Σ n;
 * series and set: the mean of their members as numbers). No data, or a mean
 * that is not a number, is NaN.
 */
import type { Calendar, Namespace, Row, RowColumns, Store } from "../../../timeseries/index.js";
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

/**
 * `fillPoints` over a column read: each row is handed to the type's `decode`
 * in one reused row (decode reads `a` and `b` and keeps nothing of the row).
 */
export function fillColumns(type: TypeDef, decode: Decode, cal: Calendar, baseIndex: number, cols: RowColumns, out: Float64Array): void {
  const mean = type.transforms.mean;
  const n = out.length;
  const { subs, a, b } = cols;
  const row: Row = [Number.NaN, 0, 0, undefined];
  if (!type.rows.many) {
    for (let r = 0; r < subs.length; r++) {
      const i = cal.index(subs[r]) - baseIndex;
      if (i < 0 || i >= n) continue;
      row[1] = subs[r];
      row[2] = a[r];
      row[3] = b?.[r];
      out[i] = toPoint(mean(type.decode(undefined, row, decode), cal.duration(i + baseIndex)));
    }
    return;
  }
  // Rows of a sub-bucket may come apart (no order is promised): fold per point, then take each mean.
  const accs = new Map<number, unknown>();
  for (let r = 0; r < subs.length; r++) {
    const i = cal.index(subs[r]) - baseIndex;
    if (i < 0 || i >= n) continue;
    row[1] = subs[r];
    row[2] = a[r];
    row[3] = b?.[r];
    accs.set(i, type.decode(accs.get(i) as never, row, decode));
  }
  for (const [i, acc] of accs) out[i] = toPoint(mean(acc, cal.duration(i + baseIndex)));
}

/**
 * Read names' buckets first..last and write their points into `outs[k]`
 * (`outs[k][i]` the point of calendar index `bases[k] + i`): through the
 * store's column read when it has one, else its row read.
 */
export async function readPoints(
  store: Store,
  ns: Namespace,
  type: TypeDef,
  decode: Decode,
  names: readonly string[],
  interval: string,
  first: number,
  last: number,
  cal: Calendar,
  bases: readonly number[],
  outs: readonly Float64Array[],
): Promise<void> {
  if (typeof store.readColumns === "function") {
    const cols = await store.readColumns(ns, names, interval, first, last);
    for (let k = 0; k < names.length; k++) fillColumns(type, decode, cal, bases[k], cols[k], outs[k]);
    return;
  }
  const rows = await store.read(ns, names, interval, first, last);
  for (let k = 0; k < names.length; k++) fillPoints(type, decode, cal, bases[k], rows[k], outs[k]);
}
