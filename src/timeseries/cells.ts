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
