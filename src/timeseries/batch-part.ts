import type { Interval } from "./intervals.js";
import { TYPE_NAMES, type Namespace } from "./cells.js";
import { typeDef, type RowSink } from "./types/index.js";

/** How a part merges a row into a cell, by the type's row shape (see `RowShape`). */
const enum Merge {
  /** count: the sum. */
  Total,
  /** gauge: the value of the newest timestamp (ties: the later write). */
  Newest,
  /** histogram: occurrences per member. */
  Occurrences,
  /** set: each member once. */
  Members,
  /** series: every value, in arrival order. */
  Append,
}

function mergeOf(type: string): Merge {
  // A type no store knows still makes a part (stores refuse it when writing): it merges as a total.
  if (!(TYPE_NAMES as readonly string[]).includes(type)) return Merge.Total;
  const rows = typeDef(type).rows;
  if (rows.a === "total") return Merge.Total;
  if (!rows.many) return Merge.Newest;
  if (rows.a === "value") return Merge.Append;
  return rows.b === "n" ? Merge.Occurrences : Merge.Members;
}

const NONE = -1;

/** How much a part holds (see `BatchPart.held`). */
export interface PartSize {
  names: number;
  cells: number;
  rows: number;
}

/** What `BatchPart.columns` hands another thread: enough to write the part, not to stage into it. */
export interface PartColumns {
  names: string[];
  rows: number;
  heads: Int32Array;
  cellSub: Float64Array;
  cellNum: Float64Array;
  cellNext: Int32Array;
  cellFirst: Int32Array;
  cellRowCount: Int32Array;
  cellText: string[];
  rowN: Float64Array;
  rowNext: Int32Array;
  /** Each row's text; empty when `rowKey` and `texts` carry it (histograms and sets). */
  rowText: string[];
  /** Histogram and set rows: each row's member as an index into `texts`, the part's distinct members. */
  rowKey?: Int32Array;
  texts?: string[];
}

/** Room for about `n` entries in a column, a little over, at least 64. */
function columnSize(n: number): number {
  return Math.max(64, Math.ceil(n * 1.125));
}

/** A power of two over twice `n`: a table for `n` entries stays at most half full. */
function tableSize(n: number): number {
  let c = 128;
  while (c <= n * 2) c *= 2;
  return c;
}

/**
 * The merges one timeseries staged into a batch, in columns.
 *
 * Names are interned into slots (`names[slot]`). A cell is one
 * (slot, interval index, sub-bucket): an open-addressing table finds it,
 * typed arrays hold its key and, for one-row types, its value (a count's
 * sum; a gauge's timestamp, its value text beside it). The rows of a
 * many-row cell (histogram and set members, series values) are chained
 * behind it in their own columns; a histogram's or set's member is found
 * by a second table keyed by (cell, member text id).
 *
 * Order is that of first staging everywhere: slots, cells of a
 * (slot, interval) (chained), rows of a cell (chained). Series values
 * therefore keep arrival order, which is their identity.
 */
/** The last part's serial (see `BatchPart.serial`). */
let lastSerial = 0;

export class BatchPart {
  /** Unique per part made in this thread: a caller's slot hint names its part by this, so the hint keeps no part alive. */
  readonly serial = ++lastSerial;
  private readonly merge: Merge;
  /** Several rows per cell (histogram, set, series): cells chain their rows. */
  private readonly many: boolean;
  /** Slot → name. */
  readonly names: string[] = [];
  private slots = new Map<string, number>();
  /** Cells staged. */
  cellCount = 0;
  /** Rows the part upserts (what `WriteBatch.size` counts). */
  rows = 0;

  // Per (slot, interval): first and last cell of its chain.
  private heads!: Int32Array;
  private tails!: Int32Array;

  // Cell columns.
  cellSlot!: Int32Array;
  cellIv!: Uint16Array;
  cellSub!: Float64Array;
  /** count: the sum; gauge: the timestamp. */
  cellNum!: Float64Array;
  /** gauge: the value text. */
  cellText: string[] = [];
  cellNext!: Int32Array;
  /** Many-row cells: first and last row, and the number of rows. */
  cellFirst!: Int32Array;
  cellLast!: Int32Array;
  cellRowCount!: Int32Array;
  private cellTable!: Int32Array;

  // Row columns (many-row types).
  private rowTotal = 0;
  rowText: string[] = [];
  /** histogram: occurrences. */
  rowN: Float64Array = new Float64Array(0);
  rowNext: Int32Array = new Int32Array(0);
  private rowKey = new Int32Array(0);
  private rowCell = new Int32Array(0);
  private rowTable = new Int32Array(0);
  private readonly textIds = new Map<string, number>();
  /** Built by `fromColumns`: rows carry their text, and nothing of the staging tables (`textIds`, `rowKey`) is kept. */
  private writeOnly = false;

  /**
   * `expect`: about how many names, cells and rows the part will hold
   * (a producer passes what its previous part held): the columns start that
   * big rather than grow there by doubling.
   */
  constructor(
    readonly ns: Namespace,
    readonly intervals: readonly Interval[],
    expect?: PartSize,
    /** A part of the same owner that was written and released (see `WriteBatch.release`): its columns are taken over. */
    donor?: BatchPart,
  ) {
    this.merge = mergeOf(ns.type);
    this.many = this.merge === Merge.Occurrences || this.merge === Merge.Members || this.merge === Merge.Append;
    if (donor !== undefined && donor.merge === this.merge && donor.intervals.length === intervals.length) {
      this.adopt(donor);
      return;
    }
    const cells = columnSize(expect?.cells ?? 0);
    // One-row types need no row chains: their cells are the rows.
    const chains = this.many ? cells : 0;
    const heads = Math.max(16, (expect?.names ?? 0) * intervals.length);
    this.heads = new Int32Array(heads).fill(NONE);
    this.tails = new Int32Array(heads).fill(NONE);
    this.cellSlot = new Int32Array(cells);
    this.cellIv = new Uint16Array(cells);
    this.cellSub = new Float64Array(cells);
    this.cellNum = new Float64Array(cells);
    this.cellNext = new Int32Array(cells);
    this.cellFirst = new Int32Array(chains);
    this.cellLast = new Int32Array(chains);
    this.cellRowCount = new Int32Array(chains);
    this.cellTable = new Int32Array(tableSize(cells));
    if (this.many) {
      const rows = columnSize(expect?.rows ?? 0);
      this.rowN = new Float64Array(rows);
      this.rowNext = new Int32Array(rows);
      if (this.merge !== Merge.Append) {
        this.rowKey = new Int32Array(rows);
        this.rowCell = new Int32Array(rows);
        this.rowTable = new Int32Array(tableSize(rows));
      }
    }
  }

  /**
   * Take over `donor`'s columns (a part of the same type and intervals,
   * written and released): a stream's parts are alike, and reusing them
   * spares the allocation and, above all, dead columns waiting outside the
   * heap for a collection. Only the lookup tables and chain heads need
   * clearing; every other field is set when its cell or row is made.
   */
  private adopt(donor: BatchPart): void {
    const used = donor.names.length * donor.intervals.length;
    donor.heads.fill(NONE, 0, used);
    donor.tails.fill(NONE, 0, used);
    this.heads = donor.heads;
    this.tails = donor.tails;
    this.cellSlot = donor.cellSlot;
    this.cellIv = donor.cellIv;
    this.cellSub = donor.cellSub;
    this.cellNum = donor.cellNum;
    this.cellNext = donor.cellNext;
    this.cellFirst = donor.cellFirst;
    this.cellLast = donor.cellLast;
    this.cellRowCount = donor.cellRowCount;
    donor.cellTable.fill(0);
    this.cellTable = donor.cellTable;
    this.rowN = donor.rowN;
    this.rowNext = donor.rowNext;
    this.rowKey = donor.rowKey;
    this.rowCell = donor.rowCell;
    donor.rowTable.fill(0);
    this.rowTable = donor.rowTable;
  }

  /** What the part holds, for sizing the next one (see the constructor). */
  get held(): PartSize {
    return { names: this.names.length, cells: this.cellCount, rows: this.rows };
  }

  /**
   * The columns another thread needs to write this part (see
   * `fromColumns`), as copies sized to fit: the part stays whole, to be
   * written again if that write fails. `transfer` lists their buffers, to
   * move rather than clone.
   */
  columns(): { columns: PartColumns; transfer: ArrayBuffer[] } {
    const heads = this.heads.slice(0, this.names.length * this.intervals.length);
    const n = this.cellCount;
    const r = this.rowTotal;
    const columns: PartColumns = {
      names: this.names,
      rows: this.rows,
      heads,
      cellSub: this.cellSub.slice(0, n),
      cellNum: this.cellNum.slice(0, n),
      cellNext: this.cellNext.slice(0, n),
      cellFirst: this.cellFirst.slice(0, n),
      cellRowCount: this.cellRowCount.slice(0, n),
      cellText: this.cellText,
      rowN: this.rowN.slice(0, r),
      rowNext: this.rowNext.slice(0, r),
      rowText: this.rowText,
    };
    const transfer = [heads, columns.cellSub, columns.cellNum, columns.cellNext, columns.cellFirst, columns.cellRowCount, columns.rowN, columns.rowNext].map((a) => a.buffer as ArrayBuffer);
    if (this.many && this.merge !== Merge.Append && !this.writeOnly) {
      // Members repeat across rows: their distinct texts once and an index per row, not a string per row to clone.
      columns.rowText = [];
      columns.rowKey = this.rowKey.slice(0, r);
      columns.texts = [...this.textIds.keys()];
      transfer.push(columns.rowKey.buffer as ArrayBuffer);
    }
    return { columns, transfer };
  }

  /** A part for writing only, from `columns()` of a part of the same namespace and intervals. Nothing can be staged into it. */
  static fromColumns(ns: Namespace, intervals: readonly Interval[], c: PartColumns): BatchPart {
    const part = new BatchPart(ns, intervals);
    part.writeOnly = true;
    // One by one: a spread of hundreds of thousands of names overflows the call stack.
    for (const name of c.names) part.names.push(name);
    part.rows = c.rows;
    part.cellCount = c.cellSub.length;
    part.heads = c.heads;
    part.cellSub = c.cellSub;
    part.cellNum = c.cellNum;
    part.cellNext = c.cellNext;
    part.cellFirst = c.cellFirst;
    part.cellRowCount = c.cellRowCount;
    part.cellText = c.cellText;
    part.rowN = c.rowN;
    part.rowNext = c.rowNext;
    part.rowTotal = c.rowN.length;
    if (c.rowKey !== undefined && c.texts !== undefined) {
      const texts = c.texts;
      const text = new Array<string>(part.rowTotal);
      for (let r = 0; r < part.rowTotal; r++) text[r] = texts[c.rowKey[r]];
      part.rowText = text;
    } else part.rowText = c.rowText;
    return part;
  }

  /** The slot of `name`, or undefined when it is not staged here. */
  slotOf(name: string): number | undefined {
    return this.slots.get(name);
  }

  /** The slot of `name`, interned on first use. */
  slot(name: string): number {
    let s = this.slots.get(name);
    if (s === undefined) {
      s = this.names.push(name) - 1;
      this.slots.set(name, s);
      const need = this.names.length * this.intervals.length;
      if (need > this.heads.length) {
        const n = Math.max(need, this.heads.length * 2);
        this.heads = grownInt(this.heads, n, NONE);
        this.tails = grownInt(this.tails, n, NONE);
      }
    }
    return s;
  }

  /** First cell of (slot, interval), NONE (-1) when none; then `cellNext`. */
  head(slot: number, iv: number): number {
    return this.heads[slot * this.intervals.length + iv];
  }

  /** Rows a cell upserts. */
  rowCount(cell: number): number {
    return this.merge === Merge.Total || this.merge === Merge.Newest ? 1 : this.cellRowCount[cell];
  }

  /** Each row of a cell into `sink.row(a, b)`, as `TypeDef.rows` shapes them, in the order a store keeps. */
  cellRows(cell: number, sink: RowSink): void {
    switch (this.merge) {
      case Merge.Total:
        sink.row(this.cellNum[cell], undefined);
        return;
      case Merge.Newest:
        sink.row(this.cellText[cell], this.cellNum[cell]);
        return;
      case Merge.Occurrences:
        for (let r = this.cellFirst[cell]; r !== NONE; r = this.rowNext[r]) sink.row(this.rowText[r], this.rowN[r]);
        return;
      default:
        for (let r = this.cellFirst[cell]; r !== NONE; r = this.rowNext[r]) sink.row(this.rowText[r], undefined);
    }
  }

  /** Merge cell `cell`'s rows into `into` (a part of the same type) under `slot`; returns the rows added there. */
  copyCell(cell: number, into: BatchPart, slot: number): number {
    const iv = this.cellIv[cell];
    const sub = this.cellSub[cell];
    switch (this.merge) {
      case Merge.Total:
        return into.add(slot, iv, sub, this.cellNum[cell], 0);
      case Merge.Newest:
        return into.add(slot, iv, sub, this.cellText[cell], this.cellNum[cell]);
      default: {
        let added = 0;
        for (let r = this.cellFirst[cell]; r !== NONE; r = this.rowNext[r]) added += into.add(slot, iv, sub, this.rowText[r], this.rowN[r]);
        return added;
      }
    }
  }

  /** The cell of (slot, interval, sub-bucket), or NONE (-1). */
  find(slot: number, iv: number, sub: number): number {
    const table = this.cellTable;
    const mask = table.length - 1;
    for (let h = cellHash(slot, iv, sub) & mask; ; h = (h + 1) & mask) {
      const c = table[h] - 1;
      if (c === NONE) return NONE;
      if (this.cellSlot[c] === slot && this.cellSub[c] === sub && this.cellIv[c] === iv) return c;
    }
  }

  /**
   * Merge one row into the cell of (slot, interval, sub-bucket), exactly as
   * the stores merge: `a` a count's amount, a member or a value; `b` a
   * histogram member's occurrences or a gauge's timestamp. Returns the rows
   * it adds (0 or 1).
   */
  add(slot: number, iv: number, sub: number, a: number | string, b: number): number {
    // Points of a name mostly arrive in time order: the last cell of its chain is the one, without hashing.
    let c = this.tails[slot * this.intervals.length + iv];
    let h = 0;
    if (c === NONE || this.cellSub[c] !== sub) {
      const table = this.cellTable;
      const mask = table.length - 1;
      for (h = cellHash(slot, iv, sub) & mask; ; h = (h + 1) & mask) {
        c = table[h] - 1;
        if (c === NONE) break;
        if (this.cellSlot[c] === slot && this.cellSub[c] === sub && this.cellIv[c] === iv) break;
      }
    }
    const merge = this.merge;
    if (c !== NONE) {
      if (merge === Merge.Total) {
        this.cellNum[c] += typeof a === "number" ? a : Number(a);
        return 0;
      }
      if (merge === Merge.Newest) {
        if (b >= this.cellNum[c]) {
          this.cellText[c] = String(a);
          this.cellNum[c] = b;
        }
        return 0;
      }
      return this.addRow(c, String(a), b);
    }
    c = this.newCell(slot, iv, sub, h);
    if (merge === Merge.Total) {
      this.cellNum[c] = typeof a === "number" ? a : Number(a);
      this.rows++;
      return 1;
    }
    if (merge === Merge.Newest) {
      this.cellText[c] = String(a);
      this.cellNum[c] = b;
      this.rows++;
      return 1;
    }
    return this.addRow(c, String(a), b);
  }

  private newCell(slot: number, iv: number, sub: number, h: number): number {
    const c = this.cellCount++;
    if (c === this.cellSlot.length) this.growCells();
    this.cellSlot[c] = slot;
    this.cellIv[c] = iv;
    this.cellSub[c] = sub;
    this.cellNext[c] = NONE;
    if (this.many) {
      this.cellFirst[c] = NONE;
      this.cellLast[c] = NONE;
      this.cellRowCount[c] = 0;
    }
    const k = slot * this.intervals.length + iv;
    const tail = this.tails[k];
    if (tail === NONE) this.heads[k] = c;
    else this.cellNext[tail] = c;
    this.tails[k] = c;
    if ((this.cellCount + 1) * 2 > this.cellTable.length) this.rehashCells();
    else this.cellTable[h] = c + 1;
    return c;
  }

  private addRow(cell: number, text: string, b: number): number {
    const merge = this.merge;
    let key = 0;
    let h = 0;
    if (merge !== Merge.Append) {
      let id = this.textIds.get(text);
      if (id === undefined) this.textIds.set(text, (id = this.textIds.size));
      key = id;
      // A cell's members mostly repeat the last one (a steady gauge of a set, timers of one value): no hashing then.
      const last = this.cellLast[cell];
      if (last !== NONE && this.rowKey[last] === key) {
        if (merge === Merge.Occurrences) this.rowN[last] += b;
        return 0;
      }
      const table = this.rowTable;
      const mask = table.length - 1;
      for (h = rowHash(cell, key) & mask; ; h = (h + 1) & mask) {
        const r = table[h] - 1;
        if (r === NONE) break;
        if (this.rowKey[r] === key && this.rowCell[r] === cell) {
          if (merge === Merge.Occurrences) this.rowN[r] += b;
          return 0;
        }
      }
    }
    const r = this.rowTotal++;
    if (r === this.rowNext.length) this.growRows();
    this.rowText[r] = text;
    this.rowN[r] = b;
    this.rowNext[r] = NONE;
    const last = this.cellLast[cell];
    if (last === NONE) this.cellFirst[cell] = r;
    else this.rowNext[last] = r;
    this.cellLast[cell] = r;
    this.cellRowCount[cell]++;
    this.rows++;
    if (merge !== Merge.Append) {
      this.rowKey[r] = key;
      this.rowCell[r] = cell;
      if ((this.rowTotal + 1) * 2 > this.rowTable.length) this.rehashRows();
      else this.rowTable[h] = r + 1;
    }
    return 1;
  }

  private growCells(): void {
    const n = this.cellSlot.length * 2;
    this.cellSlot = grownInt(this.cellSlot, n);
    const iv = new Uint16Array(n);
    iv.set(this.cellIv);
    this.cellIv = iv;
    this.cellSub = grownFloat(this.cellSub, n);
    this.cellNum = grownFloat(this.cellNum, n);
    this.cellNext = grownInt(this.cellNext, n);
    if (this.many) {
      this.cellFirst = grownInt(this.cellFirst, n);
      this.cellLast = grownInt(this.cellLast, n);
      this.cellRowCount = grownInt(this.cellRowCount, n);
    }
  }

  private rehashCells(): void {
    const table = new Int32Array(this.cellTable.length * 2);
    const mask = table.length - 1;
    for (let c = 0; c < this.cellCount; c++) {
      let h = cellHash(this.cellSlot[c], this.cellIv[c], this.cellSub[c]) & mask;
      while (table[h] !== 0) h = (h + 1) & mask;
      table[h] = c + 1;
    }
    this.cellTable = table;
  }

  private growRows(): void {
    const n = this.rowNext.length * 2;
    this.rowN = grownFloat(this.rowN, n);
    this.rowNext = grownInt(this.rowNext, n);
    if (this.merge !== Merge.Append) {
      this.rowKey = grownInt(this.rowKey, n);
      this.rowCell = grownInt(this.rowCell, n);
    }
  }

  private rehashRows(): void {
    const table = new Int32Array(this.rowTable.length * 2);
    const mask = table.length - 1;
    for (let r = 0; r < this.rowTotal; r++) {
      let h = rowHash(this.rowCell[r], this.rowKey[r]) & mask;
      while (table[h] !== 0) h = (h + 1) & mask;
      table[h] = r + 1;
    }
    this.rowTable = table;
  }
}

function cellHash(slot: number, iv: number, sub: number): number {
  // Sub-buckets are whole seconds (timestamps); the high word matters only far from now.
  let h = Math.imul(slot, 0x9e3779b1) ^ Math.imul(iv + 1, 0x85ebca77) ^ Math.imul(sub | 0, 0xc2b2ae3d) ^ ((sub / 4294967296) | 0);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}

function rowHash(cell: number, key: number): number {
  let h = Math.imul(cell, 0x9e3779b1) ^ Math.imul(key + 1, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}

function grownInt(a: Int32Array, n: number, fill?: number) {
  const out = new Int32Array(n);
  out.set(a);
  if (fill !== undefined) out.fill(fill, a.length);
  return out;
}

function grownFloat(a: Float64Array, n: number) {
  const out = new Float64Array(n);
  out.set(a);
  return out;
}
