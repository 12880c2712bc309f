import type { BatchPart, GaugeCell } from "../../store.js";
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
  const type = part.ns.type;
  const rows: TableRow[] = [];
  for (const [name, perInterval] of part.names) {
    const nameId = nameIds.get(name)!;
    for (let i = 0; i < perInterval.length; i++) {
      const cells = perInterval[i];
      if (!cells) continue;
      const iv = part.intervals[i];
      const ivId = intervalIds[i];
      for (const [sub, cell] of cells) {
        const bucket = iv.bucketOf(sub);
        const off = sub - bucket;
        switch (type) {
          case "count":
            rows.push([nameId, ivId, bucket, off, cell as number]);
            break;
          case "gauge":
            rows.push([nameId, ivId, bucket, off, (cell as GaugeCell).value, (cell as GaugeCell).ts]);
            break;
          case "histogram":
            for (const [member, n] of cell as Map<string, number>) rows.push([nameId, ivId, bucket, off, member, n]);
            break;
          case "set":
            for (const member of cell as Set<string>) rows.push([nameId, ivId, bucket, off, member]);
            break;
          case "series":
            for (const value of cell as string[]) rows.push([nameId, ivId, bucket, off, value]);
            break;
        }
      }
    }
  }
  if (type !== "series") rows.sort(type === "histogram" || type === "set" ? byKeyAndMember : byKey);
  return rows;
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
