import type { Row, TypeName } from "../../store.js";
import { typeDef } from "../../types/index.js";

/**
 * The READ script's reply for one stat (`[start, contents, ...]` of each
 * chunk that overlaps the range) → store rows for buckets first..last,
 * sorted by bucket then sub-bucket. Fields and members are
 * `bucket − start:off[:rest]`. The sort is stable, so series values keep
 * arrival order within a sub-bucket.
 */
export function rowsOf(type: TypeName, reply: unknown[], first: number, last: number): Row[] {
  const rows: Row[] = [];
  const { a: rowA, b: rowB } = typeDef(type).rows;
  // Totals, histogram members (→ n) and gauges (→ ts:value) are hash fields with a value; other members stand alone.
  const hash = rowA === "total" || rowB !== null;
  for (let c = 0; c < reply.length; c += 2) {
    const start = Number(reply[c]);
    const data = reply[c + 1] as string[];
    const step = hash ? 2 : 1;
    for (let j = 0; j < data.length; j += step) {
      const item = data[j];
      const c1 = item.indexOf(":");
      const bucket = start + Number(item.slice(0, c1));
      if (bucket < first || bucket > last) continue;
      const c2 = item.indexOf(":", c1 + 1);
      const sub = bucket + Number(c2 === -1 ? item.slice(c1 + 1) : item.slice(c1 + 1, c2));
      if (rowA === "total") rows.push([bucket, sub, Number(data[j + 1]), 0]);
      else if (rowB === "ts") {
        const v = data[j + 1];
        const colon = v.indexOf(":");
        rows.push([bucket, sub, v.slice(colon + 1), Number(v.slice(0, colon))]);
      } else rows.push([bucket, sub, item.slice(c2 + 1), rowB === null ? 0 : Number(data[j + 1])]);
    }
  }
  // Hash and set order is arbitrary; Array.prototype.sort is stable.
  return rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}
