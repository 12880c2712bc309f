import type { Interval } from "./intervals.js";
import type { Cells, Namespace } from "./cells.js";
import { typeDef } from "./types/index.js";

/**
 * How long a store remembers the flush ids it applied (see
 * `WriteBatch.flushId`): a retry or a replay of a flush within this time
 * applies nothing. Long enough for any retry of a live writer (its backoff
 * tops out at seconds), short enough that the record stays small.
 */
export const FLUSH_ID_TTL_SECONDS = 3600;

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
      const def = typeDef(part.ns.type);
      for (const perInterval of part.names.values()) for (const cells of perInterval) if (cells) for (const cell of cells.values()) total += def.rowCount(cell);
    }
    if (total <= 1) return null;
    const half = Math.floor(total / 2);
    const a = new WriteBatch();
    const b = new WriteBatch();
    let taken = 0;
    for (const [owner, part] of this.parts) {
      const def = typeDef(part.ns.type);
      for (const [name, perInterval] of part.names) {
        for (let i = 0; i < perInterval.length; i++) {
          const cells = perInterval[i];
          if (!cells) continue;
          for (const [sub, cell] of cells) {
            const rows = def.rowCount(cell);
            if (rows === 0) continue;
            if (taken + rows <= half) {
              cellsOf(a, owner, part, name, i).set(sub, cell);
              a.size += rows;
            } else if (taken >= half) {
              cellsOf(b, owner, part, name, i).set(sub, cell);
              b.size += rows;
            } else {
              const [first, second] = def.splitCell(cell, half - taken);
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

function cellsOf(batch: WriteBatch, owner: object, part: BatchPart, name: string, i: number): Cells {
  const p = batch.part(owner, part.ns, part.intervals);
  let perInterval = p.names.get(name);
  if (!perInterval) p.names.set(name, (perInterval = new Array<Cells | undefined>(part.intervals.length)));
  return perInterval[i] ?? (perInterval[i] = new Map());
}
