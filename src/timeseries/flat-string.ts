/**
 * A copy of `s` that shares no storage with the string it was cut from.
 *
 * V8 represents a substring of 13 or more characters as a view into its
 * parent, and a concatenation as a pair of pointers: a name cut from an
 * input line keeps the whole line alive, a rollup name keeps its pieces.
 * Anything held for long (cache keys, interned names) should be flat.
 * Prepending a character makes a new string, `slice` then flattens it into
 * fresh storage of `s.length + 1` characters; this is the cheapest copy V8
 * offers (a Buffer round trip encodes and decodes).
 */
export function flatString(s: string): string {
  return (" " + s).slice(1);
}
