/**
 * The library hands back native shapes (number, Map of value → count or of
 * sub-bucket → data, array, Set); JSON has none of Map or Set. Maps become
 * objects keyed by their keys' text, Sets sorted arrays (numbers numerically,
 * so a set reads the same on every backend), non-finite numbers null.
 */
export function toJsonValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v !== "object") return typeof v === "bigint" ? Number(v) : v;
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, d] of v) out[String(k)] = toJsonValue(d);
    return out;
  }
  if (v instanceof Set) return sortMembers([...v]).map(toJsonValue);
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v instanceof Date) return v.getTime() / 1000;
  const out: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(v)) out[k] = toJsonValue(d);
  return out;
}

function sortMembers(xs: unknown[]): unknown[] {
  return xs.sort((a, b) => {
    if (typeof a === "number" && typeof b === "number") return a - b;
    if (typeof a === "number") return -1;
    if (typeof b === "number") return 1;
    const sa = String(a);
    const sb = String(b);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  });
}

/** JSON text of one datapoint value; numbers skip the generic path (the common graphite case). */
export function jsonValueText(v: unknown): string {
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (v === null || v === undefined) return "null";
  return JSON.stringify(toJsonValue(v));
}
