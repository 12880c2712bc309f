import type { WriteBatch } from "./write-batch.js";

// The data model the stores share lives in cells.ts (a leaf the type definitions import); named here too for callers of the interface.
export { TYPE_NAMES, type Namespace, type Row, type TypeName } from "./cells.js";
import type { Namespace, Row } from "./cells.js";

/** `{ interval: { first, last } }` bucket starts of what a name has stored. */
export type Properties = Record<string, { first: number; last: number }>;

/** What a store that forwards points instead of keeping them (a relay) reports for metrics. */
export interface RelayStats {
  /** Points delivered (written and held on an open connection for the confirmation time). */
  readonly sent: number;
  /** Points held: waiting to be written, or written and not yet counted sent. */
  readonly queued: number;
  /** Points written again after their connection failed. */
  readonly resent: number;
  /** Points not forwarded, by reason. */
  readonly dropped: Readonly<Record<string, number>>;
  readonly connected: boolean;
}

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
  /** Only on a relay: its points are forwarded, and reads of it are refused (TORUS_ERR_RELAY_READ). */
  relayStats?(): RelayStats;
  close(): Promise<void>;
}
