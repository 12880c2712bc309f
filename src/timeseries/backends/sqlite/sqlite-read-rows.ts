/** Helpers of SQLite reads, deletes and expiry: block lists, stored blocks, and rows from aggregate reads. */
import type { Row, RowColumns } from "../../store.js";
import type { Statement } from "./sqlite-scope.js";

export function blocksBetween(first: number, last: number, blockSeconds: number): string {
  return blockList(Math.floor(first / blockSeconds), Math.floor(last / blockSeconds));
}

/**
 * The blocks of an interval that hold rows (of any name), from..to, each
 * found by one index seek. Deletes and expiry walk these instead of every
 * block number in a stat's range: a range from now to a far-future
 * timestamp spans ~10^14 block numbers but only the few blocks written.
 */
export function* storedBlocks(next: Statement, ivId: number, from: number, to: number): Generator<number> {
  for (let b = next.get(ivId, from, to) as number | null; b !== null; b = b >= to ? null : (next.get(ivId, b + 1, to) as number | null)) yield b;
}

export function blockList(from: number, to: number): string {
  const out: number[] = [];
  for (let b = from; b <= to; b++) out.push(b);
  return JSON.stringify(out);
}

export interface KeyRow {
  interval: string;
  ivId: number;
  blockSeconds: number;
  first: number;
  lastBlock: number;
}

/** Rows from the per-column JSON arrays of one aggregate read (see READ_COLUMNS). */
export function rowsOf(columns: readonly string[]): Row[] {
  const bucket = JSON.parse(columns[0]) as number[];
  const sub = JSON.parse(columns[1]) as number[];
  const a = JSON.parse(columns[2]) as Array<number | string>;
  const rows = new Array<Row>(bucket.length);
  if (columns.length === 3) {
    for (let i = 0; i < rows.length; i++) rows[i] = [bucket[i], bucket[i] + sub[i], a[i]];
  } else {
    const b = JSON.parse(columns[3]) as number[];
    for (let i = 0; i < rows.length; i++) rows[i] = [bucket[i], bucket[i] + sub[i], a[i], b[i]];
  }
  return rows;
}

/** Reads come back in key order already; check rather than ask SQLite to sort. */
export function byBucket(rows: Row[]): Row[] {
  for (let i = 1; i < rows.length; i++) {
    if (rows[i][0] < rows[i - 1][0] || (rows[i][0] === rows[i - 1][0] && rows[i][1] < rows[i - 1][1])) {
      return rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    }
  }
  return rows;
}


/**
 * Rows of a read of many names (`ROW_COLUMNS`: name id first) into one array
 * per asked name, in its order (`undefined`: a name never stored). Rows
 * come per block, then name, then bucket, so each name's rows keep their
 * order (series: arrival) across the blocks.
 */
export function rowsByName(ids: ReadonlyArray<number | undefined>, rows: ReadonlyArray<ReadonlyArray<number | string>>): Row[][] {
  const byId = new Map<number, Row[]>();
  for (const id of ids) if (id !== undefined && !byId.has(id)) byId.set(id, []);
  for (const r of rows) {
    const bucket = r[1] as number;
    const row: Row = r.length === 4 ? [bucket, bucket + (r[2] as number), r[3]] : [bucket, bucket + (r[2] as number), r[3], r[4] as number];
    byId.get(r[0] as number)!.push(row);
  }
  for (const list of byId.values()) byBucket(list);
  // A name asked twice gets its own array each time: callers may change what they get.
  const handed = new Set<Row[]>();
  return ids.map((id) => {
    if (id === undefined) return [];
    const list = byId.get(id)!;
    if (!handed.has(list)) {
      handed.add(list);
      return list;
    }
    return list.map((row) => [...row] as Row);
  });
}

/** Columns from the JSON arrays of one aggregate column read (see POINT_COLUMNS). */
export function columnsOf(columns: readonly string[]): RowColumns {
  const subs = JSON.parse(columns[0]) as number[];
  const a = JSON.parse(columns[1]) as Array<number | string>;
  return columns.length === 2 ? { subs, a } : { subs, a, b: JSON.parse(columns[2]) as number[] };
}

/** Rows of a read of many names (`ROW_COLUMNS`: name id first) as columns per asked name, in its order. */
export function columnsByName(ids: ReadonlyArray<number | undefined>, rows: ReadonlyArray<ReadonlyArray<number | string>>): RowColumns[] {
  const byId = new Map<number, { subs: number[]; a: Array<number | string>; b: number[] }>();
  for (const id of ids) if (id !== undefined && !byId.has(id)) byId.set(id, { subs: [], a: [], b: [] });
  for (const r of rows) {
    const c = byId.get(r[0] as number)!;
    c.subs.push((r[1] as number) + (r[2] as number));
    c.a.push(r[3]);
    if (r.length === 5) c.b.push(r[4] as number);
  }
  // A name asked twice gets columns of its own each time: callers may change what they get.
  const handed = new Set<number>();
  return ids.map((id) => {
    if (id === undefined) return { subs: [], a: [] };
    const c = byId.get(id)!;
    const own = handed.has(id) ? { subs: c.subs.slice(), a: c.a.slice(), b: c.b.slice() } : c;
    handed.add(id);
    return own.b.length > 0 ? own : { subs: own.subs, a: own.a };
  });
}
