import type { Cells, Row, TypeName } from "../store.js";
import type { Written } from "../values.js";

export const BUILTIN_TRANSFORMS = ["mean", "avg", "count", "min", "max", "sum", "rate"] as const;
export type BuiltinTransform = (typeof BUILTIN_TRANSFORMS)[number];

/** Converts stored text (or a count's number) into the value users see; `read_func` sits behind it. */
export type Decode = (stored: string | number) => any;

/**
 * Everything that differs between the five types, and nothing else: how a
 * written value merges into a batch cell, how stored rows become the
 * type's native data, how two natives join, and the built-in transforms.
 */
export interface TypeDef<T = any> {
  readonly name: TypeName;
  /** Merge `value` into the cell for sub-bucket `sub`; returns rows the merge adds to the batch. */
  stage(cells: Cells, sub: number, value: Written, ts: number): number;
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
