/**
 * How every store reads the tags of a stored name for its tag index: a
 * name holding `;` is `metric;tag=value;tag=value…` (Graphite 1.1's
 * canonical form, which ingest writes), indexed as `name=metric` plus one
 * pair per segment that has a `=` after at least one character. Stores,
 * the reference model and the Lua scripts of the Redis store read names
 * the same way; the query side validates tagged names before they are stored.
 *
 * @module
 */

/** `[tag, value]` pairs of a stored name, `name` first; none for an untagged name (no `;`). */
export function tagPairs(name: string): Array<[string, string]> {
  let i = name.indexOf(";");
  if (i < 0) return [];
  const out: Array<[string, string]> = [["name", name.slice(0, i)]];
  while (i >= 0) {
    const next = name.indexOf(";", i + 1);
    const segment = next < 0 ? name.slice(i + 1) : name.slice(i + 1, next);
    const eq = segment.indexOf("=");
    if (eq > 0) out.push([segment.slice(0, eq), segment.slice(eq + 1)]);
    i = next;
  }
  return out;
}

/**
 * Code point order, which is what SQLite's BINARY collation, PostgreSQL's
 * `COLLATE "C"`, MySQL's binary columns and Redis's lexicographic ranges all
 * give for UTF-8 text: JavaScript's `<` differs only beyond U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The strings starting with `prefix` as a half-open range `[low, high)` in
 * code point order: `high` is the prefix with its last code point raised by
 * one (dropping trailing U+10FFFF), null when no upper bound is needed.
 * Lets a store answer a prefix from its sorted index without LIKE or a scan.
 */
export function prefixRange(prefix: string): { low: string; high: string | null } {
  const cps = [...prefix];
  while (cps.length > 0) {
    const last = cps.pop()!.codePointAt(0)!;
    if (last === 0x10ffff) continue;
    // U+D800..U+DFFF are not characters: the next one after U+D7FF is U+E000.
    const up = last + 1 === 0xd800 ? 0xe000 : last + 1;
    return { low: prefix, high: cps.join("") + String.fromCodePoint(up) };
  }
  return { low: prefix, high: null };
}
