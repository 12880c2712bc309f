/**
 * How a SQLite write lays a part's cells out as rows: in primary-key order
 * (block, name id, bucket, sub-bucket) within each interval, through
 * multi-row upserts filled without allocation.
 */
import type { TypeName } from "../../store.js";
import type { RowSink } from "../../types/index.js";
import type { BatchPart } from "../../batch-part.js";
import type { Scope, Statement } from "./sqlite-scope.js";

/** Rows per multi-row upsert: amortises the per-call cost of the driver. */
export const CHUNK = 128;

/**
 * One interval's cells of a part in the order the table keeps them. Built
 * once per interval, in one pass per cell chain plus a counting sort by
 * block; the columns are reused from interval to interval.
 */
export class CellOrder {
  /** Cells in (name, sub-bucket) order; `start[k]..start[k + 1]` are those of the k-th name of `bySlot`. */
  byName = new Int32Array(0);
  start = new Int32Array(0);
  /** Per position in `byName`: the cell's bucket, its name's k, and the rank of its block. */
  bucketAt = new Float64Array(0);
  kAt = new Int32Array(0);
  private rankAt = new Int32Array(0);
  /** Positions in `byName` in block order (names, then sub-buckets, in order within a block). */
  byBlock = new Int32Array(0);
  /** The blocks, ascending; the positions of `blocks[r]` are `byBlock[blockStart[r]..blockStart[r + 1])`. */
  blocks: number[] = [];
  blockStart = new Int32Array(0);

  /**
   * Lay out interval `iv`'s cells of `part`, names in the order `bySlot`
   * gives (name-id order); returns the number of cells.
   */
  build(part: BatchPart, iv: number, bySlot: Int32Array, bucketOf: (sub: number) => number, blockSeconds: number): number {
    const count = bySlot.length;
    if (this.byName.length < part.cellCount) {
      const n = Math.max(part.cellCount, this.byName.length * 2);
      this.byName = new Int32Array(n);
      this.bucketAt = new Float64Array(n);
      this.kAt = new Int32Array(n);
      this.rankAt = new Int32Array(n);
      this.byBlock = new Int32Array(n);
    }
    if (this.start.length < count + 1) this.start = new Int32Array(Math.max(count + 1, this.start.length * 2));
    const { byName, bucketAt, kAt, start } = this;
    const sub = part.cellSub;
    let n = 0;
    for (let k = 0; k < count; k++) {
      start[k] = n;
      const from = n;
      let sorted = true;
      let prev = -Infinity;
      for (let c = part.head(bySlot[k], iv); c !== -1; c = part.cellNext[c]) {
        const s = sub[c];
        if (s < prev) sorted = false;
        prev = s;
        byName[n++] = c;
      }
      // Streams usually arrive in time order; several senders of one name interleave, and then its chain is sorted.
      if (!sorted) byName.subarray(from, n).sort((a, b) => sub[a] - sub[b]);
      for (let j = from; j < n; j++) {
        bucketAt[j] = bucketOf(sub[byName[j]]);
        kAt[j] = k;
      }
    }
    start[count] = n;
    this.rankBlocks(n, blockSeconds);
    return n;
  }

  /** Rank each position's block and order positions by it, stably (a counting sort: O(cells)). */
  private rankBlocks(n: number, blockSeconds: number): void {
    const { bucketAt, rankAt } = this;
    const seen = new Set<number>();
    // Within a name blocks ascend: the set is asked only when the block changes.
    let last = Number.NaN;
    for (let j = 0; j < n; j++) {
      const block = Math.floor(bucketAt[j] / blockSeconds);
      if (block !== last) seen.add((last = block));
    }
    this.blocks = [...seen].sort((a, b) => a - b);
    const rank = new Map<number, number>();
    this.blocks.forEach((b, r) => rank.set(b, r));
    const ranks = this.blocks.length;
    if (this.blockStart.length < ranks + 1) this.blockStart = new Int32Array(Math.max(ranks + 1, this.blockStart.length * 2));
    const blockStart = this.blockStart;
    blockStart.fill(0, 0, ranks + 1);
    last = Number.NaN;
    let r = 0;
    for (let j = 0; j < n; j++) {
      const block = Math.floor(bucketAt[j] / blockSeconds);
      if (block !== last) r = rank.get((last = block))!;
      rankAt[j] = r;
      blockStart[r + 1]++;
    }
    for (let q = 0; q < ranks; q++) blockStart[q + 1] += blockStart[q];
    const at = blockStart.slice(0, ranks);
    for (let j = 0; j < n; j++) this.byBlock[at[rankAt[j]]++] = j;
  }
}

/**
 * Fills one reused parameter array with rows and runs the multi-row upsert
 * each time it is full: no allocation per row. The interval id and block
 * are bound once per statement (`INSERT … SELECT ?, ?, column1, … FROM
 * (VALUES …)`), and the sub-bucket offset only where the interval has a
 * resolution: binding is a third of a row's cost, and this halves it.
 */
export class RowWriter implements RowSink {
  /** Values per row: name id, bucket, [offset], a, [b]. */
  private width = 0;
  private params: unknown[] = [];
  private at = 2;
  private chunk: Statement | null = null;
  private subs = false;
  /** The key of the cell whose rows `row` receives (see `cell`). */
  private nameId = 0;
  private bucket = 0;
  private off = 0;

  constructor(
    private readonly scope: Scope,
    private readonly type: TypeName,
    /** Table columns after the key: 1 (a) or 2 (a and b). */
    private readonly values: 1 | 2,
    /** The batch part whose `cellRows` feeds `row`. */
    private readonly part: BatchPart,
  ) {}

  /** Rows from here on are of interval `ivId`, block `block`; `subs`: the interval has a resolution (offsets vary). */
  start(ivId: number, block: number, subs: boolean): void {
    this.finish();
    if (this.subs !== subs || this.chunk === null) {
      this.subs = subs;
      this.width = 2 + (subs ? 1 : 0) + this.values;
      this.chunk = this.scope.blockUpsert(this.type, CHUNK, subs);
      this.params = new Array(2 + CHUNK * this.width);
    }
    this.params[0] = ivId;
    this.params[1] = block;
    this.at = 2;
  }

  row(a: string | number, b: number | undefined): void {
    const p = this.params;
    let at = this.at;
    p[at++] = this.nameId;
    p[at++] = this.bucket;
    if (this.subs) p[at++] = this.off;
    p[at++] = a;
    if (this.values === 2) p[at++] = b;
    if (at === p.length) {
      this.chunk!.run(p);
      at = 2;
    }
    this.at = at;
  }

  cell(nameId: number, bucket: number, off: number, cell: number): void {
    this.nameId = nameId;
    this.bucket = bucket;
    this.off = off;
    this.part.cellRows(cell, this);
  }

  /** The rows left over after the last full chunk: in statements of 64, 32, … 1 rows. */
  finish(): void {
    if (this.chunk === null) return;
    let rows = (this.at - 2) / this.width;
    let from = 2;
    for (let size = CHUNK >> 1; rows > 0; size >>= 1) {
      if (rows < size) continue;
      const params = [this.params[0], this.params[1], ...this.params.slice(from, from + size * this.width)];
      this.scope.blockUpsert(this.type, size, this.subs).run(params);
      from += size * this.width;
      rows -= size;
    }
    this.at = 2;
  }
}
