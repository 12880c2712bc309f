/**
 * What the Graphite API reads, as two small interfaces: the stored names
 * (for `/metrics/find` and for expanding path expressions) and the points
 * of resolved names. The endpoints and the evaluator are written against
 * these; the name index refresher and the read path behind them can change
 * without touching either.
 */
import type { NameIndex } from "../../graphite/name-index.js";
import type { Runtime, RuntimeSchema } from "../../runtime/runtime.js";
import type { Interval } from "../../timeseries/index.js";

/** The stored names of every schema, kept in memory and refreshed from the stores' `list()`. */
export interface NameSource {
  /** The index as of now; a name karbon stored is in it within a few seconds. */
  index(): NameIndex;
  /** Resolves once every schema has been listed at least once (the first request waits for it). */
  ready(): Promise<void>;
  /**
   * Optional: whether the index holds every name the stores hold now (the first listing is done
   * and no store has a name first stored since), without waiting. Lets the tag lookups answer
   * from the stores' own tag index meanwhile; a source without it is taken as current once ready.
   */
  caughtUp?(): Promise<boolean>;
  /** Stops background refreshing (the server is closing). */
  close(): Promise<void>;
}

/** One read of points: names of one schema in one interval, bucket starts first..last inclusive. */
export interface PointRead {
  readonly schema: RuntimeSchema;
  readonly interval: Interval;
  readonly names: readonly string[];
  /** First and last bucket start (inclusive), both on the interval's grid. */
  readonly first: number;
  readonly last: number;
}

/** Points of one name: `values[i]` is the point at `start + i*step`; NaN is null. */
export interface NamePoints {
  readonly start: number;
  /** The interval's step, or its resolution's when the interval has sub-buckets. */
  readonly step: number;
  readonly values: Float64Array;
}

/**
 * One float per point by type (SPEC §10): count its total, gauge its value,
 * histogram/series/set their mean; sub-buckets are the points when the
 * interval has a resolution. A point with no data is NaN.
 */
export interface PointSource {
  /** One entry per name of the read, in the read's order. */
  read(read: PointRead): Promise<NamePoints[]>;
  /** Drops what it keeps (a reload or a delete in this process). */
  clear?(): void;
}

/** What every route plugin of the Graphite API is given. */
export interface GraphiteApiOptions {
  /** The live runtime (a reload swaps it; every request reads the current one). */
  runtime: () => Runtime;
  /** Current Unix time in seconds. */
  clock: () => number;
  names: NameSource;
  points: PointSource;
}
