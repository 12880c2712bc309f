import type { WriteBatch } from "./write-batch.js";

// The data model the stores share lives in cells.ts (a leaf the type definitions import); named here too for callers of the interface.
export { TYPE_NAMES, type Namespace, type Row, type TypeName } from "./cells.js";
import type { Namespace, Row } from "./cells.js";

/** What `listAfter` returns. */
export interface NameListing {
  readonly names: string[];
  readonly next: number;
}

/** `{ interval: { first, last } }` bucket starts of what a name has stored. */
export type Properties = Record<string, { first: number; last: number }>;

/** Buckets of one interval that changed: bucket starts first..last, inclusive. */
export interface ChangedRange {
  readonly interval: string;
  readonly first: number;
  readonly last: number;
}

/** One name's rows as columns (`Store.readColumns`): sub-bucket starts, each row's `a`, and `b` for types that have one. */
export interface RowColumns {
  readonly subs: ArrayLike<number>;
  readonly a: ArrayLike<number | string>;
  readonly b?: ArrayLike<number>;
}

/** One condition of a stored tag lookup (`Store.findTagged`): the series carries `tag` with one of `values`. */
export interface TagCondition {
  readonly tag: string;
  readonly values: readonly string[];
}

/** A tag value and how many series with data in the namespace carry it. */
export interface TagValueCount {
  readonly value: string;
  readonly count: number;
}

/** The answer of `Store.changesSince`. */
export interface Changes {
  /** Where the next call starts from. */
  readonly cursor: number;
  /**
   * Bucket ranges written, deleted or expired after the cursor given (a
   * range may cover buckets that did not change); null when anything in the
   * namespace may have changed: a first call, a delete, or a cursor older
   * than what the store still remembers.
   */
  readonly changes: readonly ChangedRange[] | null;
}

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

/** A Graphite event (a Grafana annotation) as a store keeps it. */
export interface StoredEvent {
  /** Given by the store: increasing, never reused, even after a delete. */
  readonly id: number;
  /** Unix seconds; fractions are kept. */
  readonly when: number;
  readonly what: string;
  readonly data: string;
  /** Sorted, no duplicates. */
  readonly tags: readonly string[];
}

/** An event to add: everything but the id. */
export type NewEvent = Omit<StoredEvent, "id">;

/**
 * Graphite events kept beside the data. Each `prefix` holds its own log
 * (ids, events), as a namespace does for points. Events are read by time
 * range through an index on `when` (a sorted set on Redis), never by a
 * scan of every event.
 */
export interface EventLog {
  /** Store one event; resolves to its id. */
  add(prefix: string, event: NewEvent): Promise<number>;
  /** Events with `from <= when <= until`, by `when` then id. */
  range(prefix: string, from: number, until: number): Promise<StoredEvent[]>;
  /** The event of that id, or null. */
  get(prefix: string, id: number): Promise<StoredEvent | null>;
  /** Remove the event of that id; false when there was none. */
  delete(prefix: string, id: number): Promise<boolean>;
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
   * True when `write` takes a batch merged from several flushes
   * (`WriteBatch.flushIds`): every id recorded with the rows in one
   * transaction, so a flush is applied once whatever batches it travels in.
   */
  readonly mergedFlushes?: boolean;
  /**
   * Rows of `names` in one interval for buckets first..last (bucket starts,
   * inclusive), one array per name, sorted by bucket then sub-bucket; series
   * rows in arrival order. Rows by type (a trailing `b` a type does not use may be absent):
   * count `[bucket, sub, total]`, histogram `[bucket, sub, member, n]`,
   * set `[bucket, sub, member]`, series `[bucket, sub, value]`,
   * gauge `[bucket, sub, value, ts]`.
   */
  read(ns: Namespace, names: readonly string[], interval: string, first: number, last: number): Promise<Row[][]>;
  /**
   * Optional: the rows `read` gives, as columns per name (no array per row),
   * for readers that fold each row into its sub-bucket and need no bucket
   * order (series rows still in arrival order within a sub-bucket).
   */
  readColumns?(ns: Namespace, names: readonly string[], interval: string, first: number, last: number): Promise<RowColumns[]>;
  /** Sorted names that have data in this namespace. */
  list(ns: Namespace): Promise<string[]>;
  /**
   * Optional: the names with data in this namespace that were first stored
   * after the listing that returned `after` (0: every name, unsorted), and
   * the cursor to pass next time. Lets a reader keep a name list current
   * without listing everything again. With `limit`, at most that many
   * names (plus, on SQL stores, names whose ids committed late): a page,
   * the next one starting at `next`. A name may come twice; none is missed.
   * `next` is only meaningful to the store object that returned it.
   */
  listAfter?(ns: Namespace, after: number, limit?: number): Promise<NameListing>;
  properties(ns: Namespace, name: string): Promise<Properties>;
  /*
   * The stored tag index (all four optional, together). A tagged name
   * (`metric;tag=value;…`, read by `tagPairs` in tag-pairs.ts; `name` is the
   * metric part) is indexed by each of its (tag, value) pairs when a store
   * first meets it, in the same transaction or script as its data: names a
   * store's name cache already holds cost nothing. Answers cover the names
   * with data in the namespace, as `list` does, so a deleted series is never
   * answered (`delete`, `deleteAll`, and `expire` once nothing is left).
   * Orders are by code point (UTF-8 byte order), which every backend's index keeps.
   */
  /** Optional: the tags starting with `prefix` (default every one), sorted, at most `limit`. */
  tagKeys?(ns: Namespace, prefix?: string, limit?: number): Promise<string[]>;
  /** Optional: the values of `tag` starting with `prefix`, sorted, at most `limit` (cheap: no counting). */
  tagValues?(ns: Namespace, tag: string, prefix?: string, limit?: number): Promise<string[]>;
  /** Optional: `tagValues` with how many series carry each value (costs a pass over the tag's index rows). */
  tagCounts?(ns: Namespace, tag: string, prefix?: string, limit?: number): Promise<TagValueCount[]>;
  /**
   * Optional: the tagged names meeting every condition (at least one),
   * sorted, found from the index without listing every name. A condition
   * with no values matches nothing.
   */
  findTagged?(ns: Namespace, conditions: readonly TagCondition[]): Promise<string[]>;
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
  /**
   * Optional: which buckets of a namespace changed since `cursor` (null: the
   * first call), by this process or any other. Recorded in the same
   * transaction as each write, so a reader that asks before it reads and
   * re-reads what is reported never misses a change. Readers keep buckets
   * in memory under it; a store without one is read every time.
   */
  changesSince?(ns: Namespace, cursor: number | null): Promise<Changes>;
  /** Optional: Graphite events (the `EVENTS` store's `/events` endpoints); a relay has none. */
  readonly events?: EventLog;
  /** Only on a relay: its points are forwarded, and reads of it are refused (TORUS_ERR_RELAY_READ). */
  relayStats?(): RelayStats;
  close(): Promise<void>;
}
