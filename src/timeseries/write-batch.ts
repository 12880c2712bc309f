import type { Interval } from "./intervals.js";
import type { Namespace } from "./cells.js";
import { BatchPart, type PartSize } from "./batch-part.js";

export { BatchPart } from "./batch-part.js";

/**
 * How long a store remembers the flush ids it applied (see
 * `WriteBatch.flushId`): a retry or a replay of a flush within this time
 * applies nothing. Long enough for any retry of a live writer (its backoff
 * tops out at seconds), short enough that the record stays small.
 */
export const FLUSH_ID_TTL_SECONDS = 3600;

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
  /**
   * Which flush this is, unique per producer and batch (`writer:seq`, halves
   * of a split batch get their own): set by the producer before the first
   * attempt, kept across retries and a spool, so a store can tell a retry of
   * a batch it already applied. Undefined: not tracked. A store records the
   * id in the same transaction (or script) as the rows, and applies nothing
   * for an id it has recorded within {@link FLUSH_ID_TTL_SECONDS}.
   */
  flushId: string | undefined = undefined;
  /**
   * A batch merged from several flushes (a spool replayed several records
   * at a time): their ids, in place of `flushId`. Only for a store that says
   * `Store.mergedFlushes`: it records every id in the transaction and
   * applies the batch when none was recorded, nothing when all were, and
   * throws `FlushOverlapError` when some were (the flushes were
   * applied in another grouping: write them one by one).
   */
  flushIds: readonly string[] | undefined = undefined;
  /**
   * With `flushIds`: the names each of those flushes staged, per
   * namespace, in the same order. For a store that keeps a flush's record
   * beside its rows (Redis: in the slot of the flush's smallest name hash
   * per node), so it finds each flush's record where that flush written
   * alone would have put it.
   */
  flushNames: ReadonlyArray<ReadonlyArray<StagedNames>> | undefined = undefined;

  part(owner: object, ns: Namespace, intervals: readonly Interval[], expect?: PartSize): BatchPart {
    let p = this.parts.get(owner);
    if (!p) {
      const donor = released.get(owner);
      if (donor !== undefined) released.delete(owner);
      p = new BatchPart(ns, intervals, expect, donor);
      this.parts.set(owner, p);
    }
    return p;
  }

  /**
   * The batch is written and nothing will read it again: its parts'
   * columns go to the next part of the same owner (see `BatchPart`), and
   * the batch is left empty. Only its producer may call this.
   */
  release(): void {
    for (const [owner, part] of this.parts) released.set(owner, part);
    this.parts.clear();
    this.size = 0;
  }

  get empty(): boolean {
    return this.parts.size === 0;
  }

  /** Names staged, by namespace, for messages: `prefix type name`. */
  *entries(): Generator<{ ns: Namespace; name: string }> {
    for (const part of this.parts.values()) for (const name of part.names) yield { ns: part.ns, name };
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
    for (const part of this.parts.values()) total += part.rows;
    if (total <= 1) return null;
    const half = Math.floor(total / 2);
    const a = new WriteBatch();
    const b = new WriteBatch();
    const sink = new SplitSink(half);
    for (const [owner, part] of this.parts) {
      sink.from = part;
      sink.owner = owner;
      sink.a = a;
      sink.b = b;
      for (let slot = 0; slot < part.names.length; slot++) {
        sink.name = part.names[slot];
        for (let i = 0; i < part.intervals.length; i++) {
          sink.iv = i;
          for (let c = part.head(slot, i); c !== -1; c = part.cellNext[c]) {
            sink.sub = part.cellSub[c];
            part.cellRows(c, sink);
          }
        }
      }
    }
    // Points are what the producer staged, not rows: share them out by rows.
    a.points = Math.round((this.points * a.size) / total);
    b.points = this.points - a.points;
    // The halves are new flushes (the store applied nothing of a refused batch); derived ids keep a replay splitting the same way recognizable.
    if (this.flushId !== undefined) {
      a.flushId = `${this.flushId}/0`;
      b.flushId = `${this.flushId}/1`;
    }
    return [a, b];
  }
}

/**
 * Where a store records a batch's flush ids: its smallest prefix (the SQL
 * stores keep them per prefix). Flushes merged into one batch must share
 * it, or a flush written alone later would look for its id elsewhere.
 */
export function flushHome(batch: WriteBatch): string | undefined {
  let home: string | undefined;
  for (const part of batch.parts.values()) if (home === undefined || part.ns.prefix < home) home = part.ns.prefix;
  return home;
}

/** The names a flush staged in one namespace (see `WriteBatch.flushNames`). */
export interface StagedNames {
  readonly ns: Namespace;
  readonly names: readonly string[];
}

/** Per owner, the part of its last released batch, whose columns its next part takes over. */
const released = new WeakMap<object, BatchPart>();

/** Copies rows, in order, into the first half until it holds `half` of them, then into the second. */
class SplitSink {
  taken = 0;
  from!: BatchPart;
  owner!: object;
  a!: WriteBatch;
  b!: WriteBatch;
  name = "";
  iv = 0;
  sub = 0;
  constructor(private readonly half: number) {}
  row(a: string | number, b: number | undefined): void {
    const into = this.taken++ < this.half ? this.a : this.b;
    const part = into.part(this.owner, this.from.ns, this.from.intervals);
    into.size += part.add(part.slot(this.name), this.iv, this.sub, a, b ?? 0);
  }
}
