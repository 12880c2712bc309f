/**
 * The change journal of a SQLite prefix: each write, delete and expiry adds
 * a few rows `(seq, type, interval, first bucket, last bucket)` in its own
 * transaction, so a reader that asks "what changed since seq S" before it
 * reads, and re-reads what it is told, never misses a change. A NULL interval
 * means anything of the type may have changed (a delete). The journal keeps
 * its newest JOURNAL_KEEP rows; a reader whose cursor is older is told that
 * everything changed.
 */
import type { Changes, ChangedRange, TypeName } from "../../store.js";
import type { Scope } from "./sqlite-scope.js";

/** Rows kept: at a flush a second over a couple of intervals, hours of history. */
export const JOURNAL_KEEP = 10_000;
/** Prune once per this many journal writes of one connection. */
const PRUNE_EVERY = 256;
/** A name whose buckets of one batch span at most this many steps is one range (first..last); wider, its buckets are listed. */
const SPAN_STEPS = 64;
/** More ranges than this in one interval of one batch: one range from the first to the last. */
const MAX_RANGES = 16;

/** The buckets one batch touches in one interval, as a few ranges. */
export class TouchedBuckets {
  /** First bucket → the last bucket of the widest range starting there: names of a batch mostly share a few. */
  private readonly widest = new Map<number, number>();

  constructor(private readonly stepSeconds: number) {}

  /** One name's buckets: first..last, or the runs of `buckets()` when they spread wide (a late point beside new ones). */
  add(first: number, last: number, buckets: () => Iterable<number>): void {
    if (last - first <= SPAN_STEPS * this.stepSeconds) return this.push(first, last);
    // Runs of consecutive buckets: a backfill of a day of minutes is one range, not 1,440.
    const sorted = Float64Array.from(buckets()).sort();
    const runs: number[] = [sorted[0], sorted[0]];
    for (let i = 1; i < sorted.length; i++) {
      const b = sorted[i];
      if (b <= runs[runs.length - 1] + this.stepSeconds) runs[runs.length - 1] = Math.max(runs[runs.length - 1], b);
      else runs.push(b, b);
    }
    if (runs.length / 2 > MAX_RANGES) return this.push(first, last);
    for (let i = 0; i < runs.length; i += 2) this.push(runs[i], runs[i + 1]);
  }

  private push(first: number, last: number): void {
    const had = this.widest.get(first);
    if (had === undefined || last > had) this.widest.set(first, last);
  }

  /** Merged ranges, sorted; adjacent buckets join (a range may then cover a bucket not written: reading it again is harmless). */
  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const first of [...this.widest.keys()].sort((a, b) => a - b)) {
      const last = this.widest.get(first)!;
      const top = out[out.length - 1];
      if (top && first <= top[1] + this.stepSeconds) top[1] = Math.max(top[1], last);
      else out.push([first, last]);
    }
    if (out.length > MAX_RANGES) return [[out[0][0], Math.max(...out.map((r) => r[1]))]];
    return out;
  }
}

/** Writes journal rows inside the caller's transaction, and prunes now and then. */
export class Journal {
  /** Journal writes per prefix: each prefix's table is pruned on its own count, whatever the others do. */
  private readonly writes = new WeakMap<Scope, number>();

  /** Buckets first..last of one interval changed. */
  range(scope: Scope, type: TypeName, intervalId: number, first: number, last: number): void {
    this.insert(scope).run(type, intervalId, first, last);
    this.prune(scope);
  }

  /** Anything of this type may have changed. */
  everything(scope: Scope, type: TypeName): void {
    this.insert(scope).run(type, null, null, null);
    this.prune(scope);
  }

  private insert(scope: Scope) {
    return scope.stmt("journal:insert", () => `INSERT INTO ${scope.table("changes")} (type, interval_id, first, last) VALUES (?, ?, ?, ?)`);
  }

  private prune(scope: Scope): void {
    const n = (this.writes.get(scope) ?? 0) + 1;
    this.writes.set(scope, n);
    if (n % PRUNE_EVERY !== 0) return;
    scope.stmt("journal:prune", () => `DELETE FROM ${scope.table("changes")} WHERE seq <= (SELECT MAX(seq) FROM ${scope.table("changes")}) - ${JOURNAL_KEEP}`).run();
  }
}

/**
 * What changed in `type` since `cursor`, read in one transaction so the
 * bounds and the rows agree. Seqs come from AUTOINCREMENT: never reused,
 * and gap-free except where pruning removed rows, so a cursor below the
 * oldest kept row minus one has lost rows.
 */
export function changesSince(scope: Scope, type: TypeName, cursor: number | null): Changes {
  const bounds = scope.stmt("journal:bounds", () => `SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM ${scope.table("changes")}`).get() as { lo: number | null; hi: number | null };
  const hi = bounds.hi ?? 0;
  if (cursor === null || cursor > hi || (bounds.lo !== null && cursor < bounds.lo - 1) || (bounds.lo === null && cursor !== 0)) {
    return { cursor: hi, changes: null };
  }
  if (cursor === hi) return { cursor, changes: [] };
  const rows = scope
    .stmt("journal:since", () =>
      `SELECT c.interval_id AS ivId, i.name AS interval, c.first, c.last FROM ${scope.table("changes")} c
       LEFT JOIN ${scope.table("intervals")} i ON i.id = c.interval_id WHERE c.seq > ? AND c.seq <= ? AND c.type = ? ORDER BY c.seq`,
    )
    .all(cursor, hi, type) as Array<{ ivId: number | null; interval: string | null; first: number; last: number }>;
  const changes: ChangedRange[] = [];
  for (const r of rows) {
    if (r.ivId === null || r.interval === null) return { cursor: hi, changes: null };
    changes.push({ interval: r.interval, first: r.first, last: r.last });
  }
  return { cursor: hi, changes };
}
