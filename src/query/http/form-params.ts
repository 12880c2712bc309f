import type { Params } from "./params.js";

/** Set on a parsed object whose text held more parameters than allowed; the count it held. */
export const OVER_LIMIT: unique symbol = Symbol("torus.params.overLimit");

export type ParsedParams = Params & { [OVER_LIMIT]?: number };

/** `a=1&&b=2&` holds two parameters: empty pieces between `&`s are not parameters (as URLSearchParams skips them). */
export function countParams(text: string): number {
  let n = 0;
  let start = 0;
  for (;;) {
    const amp = text.indexOf("&", start);
    const end = amp === -1 ? text.length : amp;
    if (end > start) n++;
    if (amp === -1) return n;
    start = amp + 1;
  }
}

/**
 * Parse `application/x-www-form-urlencoded` text (a query string or a form
 * body) in one pass: a repeated key collects its values into one array
 * that grows in place (the former parser copied it per value, so a few
 * hundred KB of `a=&a=&...` took tens of seconds). More than `max`
 * parameters are not parsed at all: the result is empty and carries the
 * count under OVER_LIMIT, for the caller to refuse with a 400 (a router's
 * query-string hook cannot throw). The object has no prototype, so
 * `__proto__=` is just a key.
 */
export function parseParams(text: string, max: number): ParsedParams {
  const out: ParsedParams = Object.create(null);
  if (text.length === 0) return out;
  const n = countParams(text);
  if (n > max) {
    out[OVER_LIMIT] = n;
    return out;
  }
  // URLSearchParams drops one leading "?"; form text has none to drop.
  for (const [k, v] of new URLSearchParams(text.charCodeAt(0) === 63 ? `&${text}` : text)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}
