import type { Interval } from "./intervals.js";

export const TYPE_NAMES = ["count", "histogram", "series", "gauge", "set"] as const;
export type TypeName = (typeof TYPE_NAMES)[number];

/** Where one schema's rows live inside a store: its type's table (or keyspace) under a prefix. */
export interface Namespace {
  readonly prefix: string;
  readonly type: TypeName;
}

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

/**
 * The merges one timeseries staged into a batch: for each name, one map of
 * cells per interval (same order as `intervals`).
 */
export interface BatchPart {
  readonly ns: Namespace;
  readonly intervals: readonly Interval[];
  readonly names: Map<string, Array<Cells | undefined>>;
}

/**
 * A set of merges headed for one store, already merged in memory so each
 * (name, interval, sub-bucket, member) appears once. A store applies a whole
 * batch in one transaction (or an idempotent pipeline): all or nothing.
 */
export class WriteBatch {
  /** One part per staging timeseries. */
  readonly parts = new Map<object, BatchPart>();
  /** Rows the batch will upsert (cells, histogram cells, members, series values). */
  size = 0;
  /** Points staged (before in-memory merging): what the batch represents to its producer. */
  points = 0;

  part(owner: object, ns: Namespace, intervals: readonly Interval[]): BatchPart {
    let p = this.parts.get(owner);
    if (!p) {
      p = { ns, intervals, names: new Map() };
      this.parts.set(owner, p);
    }
    return p;
  }

  get empty(): boolean {
    return this.parts.size === 0;
  }

  /** Names staged, by namespace, for messages: `prefix type name`. */
  *entries(): Generator<{ ns: Namespace; name: string }> {
    for (const part of this.parts.values()) for (const name of part.names.keys()) yield { ns: part.ns, name };
  }

  /**
   * Two batches holding this one's rows, about half each, in the same order
   * (series values keep arrival order across the two: write the first, then
   * the second). Null when there is at most one row: nothing left to split.
   * For isolating the rows a store refuses (see WriteBuffer); names that
   * hold no row are left out.
   */
  split(): [WriteBatch, WriteBatch] | null {
    let total = 0;
    for (const part of this.parts.values()) {
      for (const perInterval of part.names.values()) for (const cells of perInterval) if (cells) for (const cell of cells.values()) total += rowsOf(part.ns.type, cell);
    }
    if (total <= 1) return null;
    const half = Math.floor(total / 2);
    const a = new WriteBatch();
    const b = new WriteBatch();
    let taken = 0;
    for (const [owner, part] of this.parts) {
      const type = part.ns.type;
      for (const [name, perInterval] of part.names) {
        for (let i = 0; i < perInterval.length; i++) {
          const cells = perInterval[i];
          if (!cells) continue;
          for (const [sub, cell] of cells) {
            const rows = rowsOf(type, cell);
            if (rows === 0) continue;
            if (taken + rows <= half) {
              cellsOf(a, owner, part, name, i).set(sub, cell);
              a.size += rows;
            } else if (taken >= half) {
              cellsOf(b, owner, part, name, i).set(sub, cell);
              b.size += rows;
            } else {
              const [first, second] = splitCell(type, cell, half - taken);
              cellsOf(a, owner, part, name, i).set(sub, first);
              cellsOf(b, owner, part, name, i).set(sub, second);
              a.size += half - taken;
              b.size += rows - (half - taken);
            }
            taken += rows;
          }
        }
      }
    }
    // Points are what the producer staged, not rows: share them out by rows.
    a.points = Math.round((this.points * a.size) / total);
    b.points = this.points - a.points;
    return [a, b];
  }
}

/** Rows one cell upserts: a member, a value or a whole cell each (as counted by `WriteBatch.size`). */
function rowsOf(type: TypeName, cell: Cell): number {
  switch (type) {
    case "histogram":
      return (cell as Map<string, number>).size;
    case "set":
      return (cell as Set<string>).size;
    case "series":
      return (cell as string[]).length;
    default:
      return 1;
  }
}

function cellsOf(batch: WriteBatch, owner: object, part: BatchPart, name: string, i: number): Cells {
  const p = batch.part(owner, part.ns, part.intervals);
  let perInterval = p.names.get(name);
  if (!perInterval) p.names.set(name, (perInterval = new Array<Cells | undefined>(part.intervals.length)));
  return perInterval[i] ?? (perInterval[i] = new Map());
}

/** A cell of several rows (histogram, set, series) cut after its first `n` rows. */
function splitCell(type: TypeName, cell: Cell, n: number): [Cell, Cell] {
  if (type === "series") return [(cell as string[]).slice(0, n), (cell as string[]).slice(n)];
  const entries = [...(cell as Map<string, number> | Set<string>).entries()];
  if (type === "histogram") return [new Map(entries.slice(0, n) as Array<[string, number]>), new Map(entries.slice(n) as Array<[string, number]>)];
  return [new Set(entries.slice(0, n).map((e) => e[0] as string)), new Set(entries.slice(n).map((e) => e[0] as string))];
}

/** A raw row read back: `[bucket, sub, a, b]` (see `Store.read`); `b` only for histograms (n) and gauges (ts). */
export type Row = [bucket: number, sub: number, a: number | string, b?: number];

/** `{ interval: { first, last } }` bucket starts of what a name has stored. */
export type Properties = Record<string, { first: number; last: number }>;

/**
 * A storage backend. It knows five merge primitives (add, add to a cell, add
 * a member, append, keep newest) and nothing of transforms, condensing or
 * joins, which live above it in the type layer.
 */
export interface Store {
  /** The URL it was opened with, password removed: safe for messages. */
  readonly url: string;
  /** The driver's own client, handed to custom `fetch` functions. */
  readonly handle: unknown;
  /** Apply every merge of the batch atomically. Throws StoreError on failure; nothing is applied then. */
  write(batch: WriteBatch): Promise<void>;
  /**
   * Rows of `names` in one interval for buckets first..last (bucket starts,
   * inclusive), one array per name, sorted by bucket then sub-bucket; series
   * rows in arrival order. Rows by type (a trailing `b` a type does not use may be absent):
   * count `[bucket, sub, total]`, histogram `[bucket, sub, member, n]`,
   * set `[bucket, sub, member]`, series `[bucket, sub, value]`,
   * gauge `[bucket, sub, value, ts]`.
   */
  read(ns: Namespace, names: readonly string[], interval: string, first: number, last: number): Promise<Row[][]>;
  /** Sorted names that have data in this namespace. */
  list(ns: Namespace): Promise<string[]>;
  properties(ns: Namespace, name: string): Promise<Properties>;
  delete(ns: Namespace, name: string): Promise<void>;
  deleteAll(ns: Namespace): Promise<void>;
  /** Delete buckets of `interval` starting before `before`, for one name or all. */
  expire(ns: Namespace, interval: string, before: number, name?: string): Promise<void>;
  /**
   * Optional, cheap and synchronous: a value that differs from every earlier
   * one once anything was committed to the store since, by this process or
   * any other. Readers cache results under it; a store without one is never cached.
   */
  changeToken?(): string;
  close(): Promise<void>;
}
