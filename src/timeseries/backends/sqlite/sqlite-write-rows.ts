/** How a SQLite write lays cells out as rows: sub-bucket order, and multi-row upserts filled without allocation. */
import type { Cell, Cells } from "../../cells.js";
import type { RowSink, TypeDef } from "../../types/index.js";
import type { Statement } from "./sqlite-scope.js";

/** Rows per multi-row upsert: amortises the per-call cost of the driver. */
export const CHUNK = 128;

/** Cells in sub-bucket order; streams usually arrive in time order, so the sort is rarely needed. */
export function sortedCells(cells: Cells): Iterable<[number, Cell]> {
  let prev = -Infinity;
  for (const sub of cells.keys()) {
    if (sub < prev) return [...cells].sort((a, b) => a[0] - b[0]);
    prev = sub;
  }
  return cells;
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
    /** The batch part's type, resolved once per part: its `cellRows` feeds `row`. */
    private readonly def: TypeDef,
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

  cell(ivId: number, block: number, nameId: number, bucket: number, off: number, cell: Cell): void {
    this.ivId = ivId;
    this.block = block;
    this.nameId = nameId;
    this.bucket = bucket;
    this.off = off;
    this.def.cellRows(cell, this);
  }

  /** The rows left over after the last full chunk, one by one. */
  finish(single: Statement): void {
    for (let r = 0; r < this.at; r += this.columns) single.run(this.params.slice(r, r + this.columns));
    this.at = 0;
  }
}

