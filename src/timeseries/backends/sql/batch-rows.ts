import { typeDef, type RowSink } from "../../types/index.js";
import type { BatchPart } from "../../write-batch.js";
import type { TableRow } from "./sql-dialect.js";

/**
 * The rows one batch part upserts into its type's table:
 * `[name_id, interval_id, bucket, sub offset, ...values]`. The sub-bucket is
 * stored as its offset in the bucket, as the SQLite backend does.
 *
 * Rows other than series are sorted by key: two writers locking rows in the
 * same order cannot deadlock on them. Series rows keep arrival order, which
 * is what their identity column records.
 */
export function partRows(part: BatchPart, nameIds: ReadonlyMap<string, number>, intervalIds: readonly number[]): TableRow[] {
  const def = typeDef(part.ns.type);
  const sink = new RowCollector();
  for (let slot = 0; slot < part.names.length; slot++) {
    sink.nameId = nameIds.get(part.names[slot])!;
    for (let i = 0; i < part.intervals.length; i++) {
      const iv = part.intervals[i];
      sink.ivId = intervalIds[i];
      for (let c = part.head(slot, i); c !== -1; c = part.cellNext[c]) {
        const sub = part.cellSub[c];
        sink.bucket = iv.bucketOf(sub);
        sink.off = sub - sink.bucket;
        part.cellRows(c, sink);
      }
    }
  }
  const { a, many } = def.rows;
  if (!(many && a === "value")) sink.rows.sort(a === "member" ? byKeyAndMember : byKey);
  return sink.rows;
}

/** Collects table rows; the key of the cell being emitted sits in its fields. */
class RowCollector implements RowSink {
  readonly rows: TableRow[] = [];
  nameId = 0;
  ivId = 0;
  bucket = 0;
  off = 0;
  row(a: string | number, b: number | undefined): void {
    this.rows.push(b === undefined ? [this.nameId, this.ivId, this.bucket, this.off, a] : [this.nameId, this.ivId, this.bucket, this.off, a, b]);
  }
}

function byKey(a: TableRow, b: TableRow): number {
  return (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number) || (a[2] as number) - (b[2] as number) || (a[3] as number) - (b[3] as number);
}

function byKeyAndMember(a: TableRow, b: TableRow): number {
  return byKey(a, b) || (a[4] < b[4] ? -1 : a[4] > b[4] ? 1 : 0);
}

/** Rough size of a row on the wire, to keep a statement under the server's packet limit. */
function rowBytes(row: TableRow): number {
  let n = 0;
  for (const v of row) n += typeof v === "string" ? 3 * v.length + 4 : 24;
  return n;
}

/** Consecutive slices of at most `maxRows` rows and (about) `maxBytes` bytes, never empty. */
export function* chunks(rows: readonly TableRow[], maxRows: number, maxBytes: number): Generator<readonly TableRow[]> {
  let start = 0;
  while (start < rows.length) {
    let end = start;
    let bytes = 0;
    while (end < rows.length && end - start < maxRows) {
      bytes += rowBytes(rows[end]);
      if (bytes > maxBytes && end > start) break;
      end++;
    }
    yield start === 0 && end === rows.length ? rows : rows.slice(start, end);
    start = end;
  }
}
