/** How a SQLite write lays cells out as rows: sub-bucket order, and multi-row upserts filled without allocation. */
import type { RowSink } from "../../types/index.js";
import type { BatchPart } from "../../batch-part.js";
import type { Statement } from "./sqlite-scope.js";

/** Rows per multi-row upsert: amortises the per-call cost of the driver. */
export const CHUNK = 128;

/**
 * The cells of (slot, interval) into `out` (reused), in sub-bucket order;
 * returns how many. Streams usually arrive in time order, so the sort is
 * rarely needed (and stable: equal subs do not occur in one chain).
 */
export function sortedCells(part: BatchPart, slot: number, iv: number, out: number[]): number {
  let n = 0;
  let sorted = true;
  let prev = -Infinity;
  for (let c = part.head(slot, iv); c !== -1; c = part.cellNext[c]) {
    const sub = part.cellSub[c];
    if (sub < prev) sorted = false;
    prev = sub;
    out[n++] = c;
  }
  if (!sorted) {
    const cells = out.slice(0, n).sort((a, b) => part.cellSub[a] - part.cellSub[b]);
    for (let j = 0; j < n; j++) out[j] = cells[j];
  }
  return n;
}

/**
 * Fills one reused parameter array with rows and runs the multi-row upsert
 * each time it is full: no allocation per row.
 */
export class RowWriter implements RowSink {
  private readonly params: unknown[];
  private at = 0;

  constructor(
    private readonly chunk: Statement,
    private readonly columns: number,
    /** The batch part whose `cellRows` feeds `row`. */
    private readonly part: BatchPart,
  ) {
    this.params = new Array(CHUNK * columns);
  }

  /** The key of the cell whose rows `row` receives (see `cell`). */
  private ivId = 0;
  private block = 0;
  private nameId = 0;
  private bucket = 0;
  private off = 0;

  row(a: string | number, b: number | undefined): void {
    const p = this.params;
    let at = this.at;
    p[at++] = this.ivId;
    p[at++] = this.block;
    p[at++] = this.nameId;
    p[at++] = this.bucket;
    p[at++] = this.off;
    p[at++] = a;
    if (this.columns === 7) p[at++] = b;
    if (at === p.length) {
      this.chunk.run(p);
      at = 0;
    }
    this.at = at;
  }

  cell(ivId: number, block: number, nameId: number, bucket: number, off: number, cell: number): void {
    this.ivId = ivId;
    this.block = block;
    this.nameId = nameId;
    this.bucket = bucket;
    this.off = off;
    this.part.cellRows(cell, this);
  }

  /** The rows left over after the last full chunk, one by one. */
  finish(single: Statement): void {
    for (let r = 0; r < this.at; r += this.columns) single.run(this.params.slice(r, r + this.columns));
    this.at = 0;
  }
}

