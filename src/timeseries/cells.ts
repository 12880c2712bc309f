/** The data model shared by the type definitions, the write batch and the stores: type names, namespaces, batch cells and stored rows. */

export const TYPE_NAMES = ["count", "histogram", "series", "gauge", "set"] as const;
export type TypeName = (typeof TYPE_NAMES)[number];

/** Where one schema's rows live inside a store: its type's table (or keyspace) under a prefix. */
export interface Namespace {
  readonly prefix: string;
  readonly type: TypeName;
}

/** A raw row read back: `[bucket, sub, a, b]` (see `Store.read`); `b` only for histograms (n) and gauges (ts). */
export type Row = [bucket: number, sub: number, a: number | string, b?: number];

/** A gauge cell: the newest value by point timestamp (ties: the later write wins). */
export interface GaugeCell {
  value: string;
  ts: number;
}

/**
 * What one sub-bucket accumulates in a batch, by type:
 * count → number (sum), histogram → Map member→n, set → Set of members,
 * series → members in arrival order, gauge → GaugeCell.
 */
export type Cell = number | Map<string, number> | Set<string> | string[] | GaugeCell;

/** Sub-bucket start → cell. The bucket is `interval.bucketOf(sub)`. */
export type Cells = Map<number, Cell>;
