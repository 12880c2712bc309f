import type { Row, TypeName } from "../../store.js";

/** Split `off:rest` at its first colon (the offset, an integer, has none). */
function split(text: string): [number, string] {
  const colon = text.indexOf(":");
  return [Number(text.slice(0, colon)), text.slice(colon + 1)];
}

/**
 * The READ script's reply for one stat → store rows, sorted by bucket then
 * sub-bucket. The sort is stable, so series values keep arrival order.
 */
export function rowsOf(type: TypeName, reply: unknown[]): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < reply.length; i += 2) {
    const bucket = Number(reply[i]);
    const data = reply[i + 1] as string[];
    const from = rows.length;
    switch (type) {
      case "count":
        for (let j = 0; j < data.length; j += 2) rows.push([bucket, bucket + Number(data[j]), Number(data[j + 1]), 0]);
        break;
      case "histogram":
        for (let j = 0; j < data.length; j += 2) {
          const [off, member] = split(data[j]);
          rows.push([bucket, bucket + off, member, Number(data[j + 1])]);
        }
        break;
      case "gauge":
        for (let j = 0; j < data.length; j += 2) {
          const [ts, value] = split(data[j + 1]);
          rows.push([bucket, bucket + Number(data[j]), value, ts]);
        }
        break;
      case "set":
      case "series":
        for (const item of data) {
          const [off, value] = split(item);
          rows.push([bucket, bucket + off, value, 0]);
        }
        break;
    }
    // Hash and set order is arbitrary; only sort when a bucket has several sub-buckets.
    if (rows.length - from > 1) {
      const part = rows.slice(from).sort((a, b) => a[1] - b[1]);
      for (let k = 0; k < part.length; k++) rows[from + k] = part[k];
    }
  }
  return rows;
}
