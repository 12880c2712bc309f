import type { Row, TypeName } from "../cells.js";

export const BUILTIN_TRANSFORMS = ["mean", "avg", "count", "min", "max", "sum", "rate"] as const;
export type BuiltinTransform = (typeof BUILTIN_TRANSFORMS)[number];

/** Converts stored text (or a count's number) into the value users see; `read_func` sits behind it. */
export type Decode = (stored: string | number) => any;

/**
 * What a type's stored rows hold, for backends to lay out tables and
 * encodings by shape rather than by type name. A row is `(a, b)` under its
 * key (name, interval, sub-bucket): `a` a count's running total (a number),
 * a member (text, part of the row's key: one row per member) or a value
 * (text); `b` a histogram member's occurrences, a gauge's timestamp, or
 * nothing.
 */
export interface RowShape {
  readonly a: "total" | "member" | "value";
  readonly b: "n" | "ts" | null;
  /** Several rows per cell (members, or values in arrival order), or exactly one. */
  readonly many: boolean;
}

/**
 * Receives the rows of a batch cell (`BatchPart.cellRows`), one call per row, `b`
 * undefined where the shape has none. Backends keep the row's key in the
 * sink's own fields, set before the call: no closure or array per cell.
 */
export interface RowSink {
  row(a: string | number, b: number | undefined): void;
}

/**
 * Everything that differs between the five types at read time: the shape
 * of their stored rows, how stored rows become the type's native data, how
 * two natives join, and the built-in transforms. How rows merge in a write
 * batch follows from the shape (see `BatchPart`).
 */
export interface TypeDef<T = any> {
  readonly name: TypeName;
  readonly rows: RowShape;
  /** Fold one stored row into the native data of its sub-bucket. */
  decode(acc: T | undefined, row: Row, decode: Decode): T;
  /** Join two natives (sub-buckets into a bucket, names into one, a range into one). Never mutates its inputs. */
  join(a: T, b: T): T;
  /** The built-ins of SPEC §3, `duration` in seconds. */
  readonly transforms: Record<Exclude<BuiltinTransform, "avg">, (data: T, duration: number) => unknown>;
}

export function numbers(values: Iterable<unknown>): number[] {
  const out: number[] = [];
  for (const v of values) out.push(Number(v));
  return out;
}

export function sumOf(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

export function minOf(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let m = values[0];
  for (const v of values) if (v < m) m = v;
  return m;
}

export function maxOf(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let m = values[0];
  for (const v of values) if (v > m) m = v;
  return m;
}

export function meanOf(values: readonly number[]): number | null {
  return values.length === 0 ? null : sumOf(values) / values.length;
}
