import type { TypeName } from "../../cells.js";
import type { Interval } from "../../intervals.js";
import type { BatchPart, WriteBatch } from "../../write-batch.js";
import type { RelayPoint } from "./relay-point.js";

/** Why a staged value was not forwarded. */
export type DropReason = "not_numeric" | "bad_name";

/**
 * Running state of the buckets a batch only adds to (count totals,
 * histogram sums, set members), so a bucket that spans several flushes is
 * forwarded as its whole value so far each time: Carbon keeps the last value
 * per timestamp, so the last one sent is the bucket's whole value.
 */
interface Open {
  total: number;
  n: number;
  members?: Set<string>;
  touched: number;
}

export interface BatchPointsOptions {
  /** Seconds a bucket's running state is kept after its last point. */
  horizonSeconds: number;
  /** Most buckets kept; the least recently touched go first. */
  maxOpen: number;
  clock?: () => number;
}

/**
 * Turns write batches into the points Carbon receives: one float per
 * (name, timestamp), from the finest interval of each schema (the others
 * are the same points bucketed coarser; Carbon rolls up by itself).
 * series: every value, at its sub-bucket start. gauge: the newest value at
 * its own timestamp. count: the bucket's total so far. histogram: the mean
 * of the bucket's values so far. set: the number of distinct members so far.
 */
export class BatchPoints {
  private readonly open = new Map<string, Open>();
  private readonly clock: () => number;

  constructor(private readonly options: BatchPointsOptions) {
    this.clock = options.clock ?? (() => Date.now() / 1000);
  }

  /** Buckets whose running state is held. */
  get openBuckets(): number {
    return this.open.size;
  }

  points(batch: WriteBatch, drop: (reason: DropReason, n: number) => void): RelayPoint[] {
    const out: RelayPoint[] = [];
    const now = this.clock();
    this.evict(now);
    for (const part of batch.parts.values()) {
      const i = finest(part.intervals);
      const type = part.ns.type;
      for (let slot = 0; slot < part.names.length; slot++) {
        const head = part.head(slot, i);
        if (head === -1) continue;
        const name = part.names[slot];
        if (!goodName(name)) {
          let n = 0;
          for (let c = head; c !== -1; c = part.cellNext[c]) n += type === "series" ? part.rowCount(c) : 1;
          drop("bad_name", n);
          continue;
        }
        for (let c = head; c !== -1; c = part.cellNext[c]) {
          const sub = part.cellSub[c];
          this.cell(out, part, type, `${part.ns.prefix}\u0000${type}\u0000${name}\u0000${sub}`, name, sub, c, now, drop);
        }
      }
    }
    this.evict(now);
    return out;
  }

  private cell(out: RelayPoint[], part: BatchPart, type: TypeName, key: string, name: string, sub: number, c: number, now: number, drop: (reason: DropReason, n: number) => void): void {
    switch (type) {
      case "series":
        for (let r = part.cellFirst[c]; r !== -1; r = part.rowNext[r]) push(out, name, sub, Number(part.rowText[r]), drop);
        return;
      case "gauge":
        push(out, name, part.cellNum[c], Number(part.cellText[c]), drop);
        return;
      case "count": {
        const o = this.touch(key, now);
        o.total += part.cellNum[c];
        push(out, name, sub, o.total, drop);
        return;
      }
      case "histogram": {
        let sum = 0;
        let n = 0;
        for (let r = part.cellFirst[c]; r !== -1; r = part.rowNext[r]) {
          const v = Number(part.rowText[r]);
          const k = part.rowN[r];
          if (!Number.isFinite(v)) {
            drop("not_numeric", k);
            continue;
          }
          sum += v * k;
          n += k;
        }
        if (n === 0) return;
        const o = this.touch(key, now);
        o.total += sum;
        o.n += n;
        push(out, name, sub, o.total / o.n, drop);
        return;
      }
      case "set": {
        const o = this.touch(key, now);
        const members = (o.members ??= new Set());
        for (let r = part.cellFirst[c]; r !== -1; r = part.rowNext[r]) members.add(part.rowText[r]);
        push(out, name, sub, members.size, drop);
        return;
      }
    }
  }

  private touch(key: string, now: number): Open {
    let o = this.open.get(key);
    if (o) this.open.delete(key);
    else o = { total: 0, n: 0, touched: now };
    o.touched = now;
    // Re-inserted: the map stays ordered by last touch, oldest first.
    this.open.set(key, o);
    return o;
  }

  private evict(now: number): void {
    const horizon = now - this.options.horizonSeconds;
    for (const [key, o] of this.open) {
      if (o.touched >= horizon && this.open.size <= this.options.maxOpen) break;
      this.open.delete(key);
    }
  }
}

/** The interval with the finest sub-buckets (the first of equals). */
function finest(intervals: readonly Interval[]): number {
  let best = 0;
  let bestSeconds = Infinity;
  intervals.forEach((iv, i) => {
    const s = (iv.resolution ?? iv.step).seconds;
    if (s < bestSeconds) {
      bestSeconds = s;
      best = i;
    }
  });
  return best;
}

/** Carbon splits a line on whitespace and a pickle name is a metric path: no spaces or control characters. */
function goodName(name: string): boolean {
  return name.length > 0 && !/[\s\p{Cc}]/u.test(name);
}

function push(out: RelayPoint[], name: string, ts: number, value: number, drop: (reason: DropReason, n: number) => void): void {
  if (Number.isFinite(value)) out.push({ name, ts, value });
  else drop("not_numeric", 1);
}
