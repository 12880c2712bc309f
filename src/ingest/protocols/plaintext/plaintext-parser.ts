/**
 * The Carbon plaintext protocol, one line at a time: `name value timestamp`.
 *
 * Pure: no sockets, no buffering across calls (that is the framer's job, see
 * `line-framer.ts`). The parser reads raw bytes and hands results to a sink
 * through callbacks, so the hot path allocates nothing but the strings it
 * hands out: no per-line arrays, objects or whole-line copies.
 *
 * @module
 */
import { isUtf8 } from "node:buffer";
import type { PointSink } from "../protocol.js";
import { chunkView } from "./chunk-view.js";
import type { NameTable } from "./name-table.js";

/**
 * Why a line was rejected. Stable strings: callers use them as counter
 * labels and in logs.
 *
 * - `too_few_fields`: fewer than three whitespace-separated fields (so also
 *   a missing/empty value).
 * - `bad_timestamp`: the last field is not a finite number of seconds >= 0
 *   (or is beyond `Number.MAX_SAFE_INTEGER` once truncated).
 * - `bad_utf8`: the name or the value is not valid UTF-8.
 * - `too_long`: the line is longer than the framer's byte limit; it is
 *   skipped unparsed.
 */
export type BadLineReason = "too_few_fields" | "bad_timestamp" | "bad_utf8" | "too_long";

/** Every {@link BadLineReason}, e.g. to pre-register one counter per reason. */
export const BAD_LINE_REASONS: readonly BadLineReason[] = Object.freeze([
  "too_few_fields",
  "bad_timestamp",
  "bad_utf8",
  "too_long",
]);

/**
 * Receives the outcome of every line that is not blank (blank lines are
 * silently ignored). Counting and logging are the sink's business; the
 * parser keeps no state.
 */
export interface PlaintextSink extends PointSink<BadLineReason> {
  /**
   * A well-formed line.
   * @param name - the stat name, decoded from UTF-8.
   * @param value - everything between name and timestamp, trimmed; it may
   *   hold inner spaces and tabs. Not interpreted here: the schema's
   *   `write_func` decides what a value means.
   * @param timestamp - whole seconds (truncated toward zero), a safe integer >= 0.
   */
  point(name: string, value: string, timestamp: number): void;
  /**
   * A line that was skipped.
   * @param reason - why.
   * @param excerpt - the start of the offending line for display, decoded
   *   leniently and cut to at most {@link EXCERPT_MAX_BYTES} bytes, with a
   *   trailing `…` when cut. Use {@link describeBadLine} to build a message.
   */
  bad(reason: BadLineReason, excerpt: string): void;
}

/**
 * A sink that also takes points by name id: names held in its
 * {@link NameTable} reach it as ids, without a string. Lines whose name the
 * table cannot hold still come through `point`. Every method is called
 * synchronously; `buf` is only valid during the call.
 */
export interface NameIdSink extends PlaintextSink {
  /** Read once per line, so a sink may swap tables between lines (a reload). */
  readonly names: NameTable;
  /**
   * A good line whose value is a plain decimal (`[+-]digits[.digits]`, at
   * most 15 digits): `num` is exactly what `Number()` makes of its text,
   * which is `buf[vs..ve)` (ASCII).
   */
  pointNumber(id: number, num: number, buf: Buffer, vs: number, ve: number, timestamp: number): void;
  /** A good line with any other value, decoded and checked as `point` gets it. */
  pointText(id: number, value: string, timestamp: number): void;
}

/** True when `sink` takes points by name id (see {@link parseLineIds}). */
export function isNameIdSink(sink: PlaintextSink): sink is NameIdSink {
  return typeof (sink as Partial<NameIdSink>).pointNumber === "function";
}

/** At most this many bytes of a bad line are quoted back: enough to recognise it, not enough to flood a log. */
export const EXCERPT_MAX_BYTES = 200;

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * The slow path for timestamps: what `Number()` accepts minus hex, binary,
 * `Infinity` and the empty string, which Carbon senders never mean.
 */
const TIMESTAMP_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parse one line of the plaintext protocol from `buf[start..end)` (without
 * its `\n`) and report it to `sink`.
 *
 * Fields are separated by runs of spaces or tabs; leading and trailing
 * spaces/tabs and trailing `\r` are ignored. The first field is the name, the
 * last is the timestamp, and everything between them (trimmed) is the value.
 * An empty or whitespace-only line is ignored: neither a point nor bad.
 *
 * Never throws on any input bytes.
 *
 * @param buf - the bytes; only `start..end` is read.
 * @param start - offset of the first byte of the line.
 * @param end - offset just past the last byte of the line (the `\n`, if any, excluded).
 * @param sink - receives a point or a bad line.
 */
export function parseLine(buf: Buffer, start: number, end: number, sink: PlaintextSink): void {
  const split = splitLine(buf, start, end);
  if (split !== SPLIT) {
    if (split !== BLANK) sink.bad(split === FEW_FIELDS ? "too_few_fields" : "bad_timestamp", lineExcerpt(buf, start, end, false));
    return;
  }
  const { s, nameEnd, vs, ve, timestamp } = fields;

  // Decode name and value with one call and cut the string: a call into the
  // runtime per string costs more than the substrings (one call instead of
  // two cut about a quarter of the time in bench/ingest-parser.ts). The name
  // may then share storage with its value: at most one line's bytes, fine
  // even for a long-lived map key.
  // All-ASCII (the norm) decodes as latin1, a straight byte copy with
  // nothing to validate.
  let high = fields.high;
  for (let k = vs; k < ve; k++) high |= buf[k];
  let text: string;
  let nameLength = nameEnd - s;
  if ((high & HIGH_BITS) === 0) {
    text = buf.toString("latin1", s, ve);
  } else {
    text = buf.toString("utf8", s, ve);
    // Invalid UTF-8 always decodes to U+FFFD, so only then is a validating
    // pass needed. A lenient decode would turn distinct byte strings into one
    // name full of U+FFFD.
    if (text.indexOf("\ufffd") >= 0 && !isUtf8(buf.subarray(s, ve))) {
      sink.bad("bad_utf8", lineExcerpt(buf, start, end, false));
      return;
    }
    // The name's length in UTF-16 units: one per character, two for those
    // beyond U+FFFF (4-byte sequences); continuation bytes add nothing.
    nameLength = 0;
    for (let k = s; k < nameEnd; k++) {
      const c = buf[k];
      if ((c & 0xc0) !== 0x80) nameLength += c >= 0xf0 ? 2 : 1;
    }
  }
  // The blanks between name and value are one byte and one unit each.
  const name = text.substring(0, nameLength);
  const value = text.substring(nameLength + (vs - nameEnd));
  sink.point(name, value, timestamp);
}

/**
 * {@link parseLine} for a {@link NameIdSink}: the same lines good and bad,
 * for the same reasons and with the same excerpts, but a name the sink's
 * table holds is found from its bytes (no string made, no UTF-8 check) and
 * a plain decimal value is read from its bytes too.
 */
export function parseLineIds(buf: Buffer, start: number, end: number, sink: NameIdSink): void {
  const split = splitLine(buf, start, end);
  if (split !== SPLIT) {
    if (split !== BLANK) sink.bad(split === FEW_FIELDS ? "too_few_fields" : "bad_timestamp", lineExcerpt(buf, start, end, false));
    return;
  }
  const { s, nameEnd, vs, ve, timestamp } = fields;

  const table = sink.names;
  const h = table.hash(buf, s, nameEnd);
  let id = table.lookup(buf, s, nameEnd, h);
  if (id < 0) {
    // A new name (or one the table has no room for): decoded and checked once, here.
    let name: string;
    if ((fields.high & HIGH_BITS) === 0) name = buf.toString("latin1", s, nameEnd);
    else {
      name = buf.toString("utf8", s, nameEnd);
      if (name.indexOf("\ufffd") >= 0 && !isUtf8(buf.subarray(s, nameEnd))) {
        sink.bad("bad_utf8", lineExcerpt(buf, start, end, false));
        return;
      }
    }
    id = table.insert(buf, s, nameEnd, h, name);
    if (id < 0) {
      const value = valueText(buf, vs, ve);
      if (value === null) sink.bad("bad_utf8", lineExcerpt(buf, start, end, false));
      else sink.point(name, value, timestamp);
      return;
    }
  }
  const num = plainDecimal(buf, vs, ve);
  if (num === num) {
    sink.pointNumber(id, num, buf, vs, ve, timestamp);
    return;
  }
  const value = valueText(buf, vs, ve);
  if (value === null) sink.bad("bad_utf8", lineExcerpt(buf, start, end, false));
  else sink.pointText(id, value, timestamp);
}

/** What {@link splitLine} found. */
const SPLIT = 0;
const BLANK = 1;
const FEW_FIELDS = 2;
const BAD_TIMESTAMP = 3;
/** The top bit of each byte of a word: set in an OR of bytes when one is not ASCII. */
const HIGH_BITS = 0x80808080 | 0;
const ONES = 0x01010101;
const SPACES = 0x20202020;
const TABS = 0x09090909;

/**
 * The fields of the line last split, written by {@link splitLine}: one
 * object for every line, so splitting allocates nothing.
 */
const fields = {
  /** The name is `[s, nameEnd)`, the value (trimmed) `[vs, ve)`. */
  s: 0,
  nameEnd: 0,
  vs: 0,
  ve: 0,
  timestamp: 0,
  /** The OR of the name's bytes (in words): `& HIGH_BITS` is 0 when the name is ASCII. */
  high: 0,
};

/**
 * Split the line `buf[start..end)` into {@link fields}, for both parsers:
 * {@link SPLIT}, or why not ({@link BLANK}: nothing but blanks, ignored).
 */
function splitLine(buf: Buffer, start: number, end: number): number {
  // Trim. Trailing `\r` is trimmed with the blanks so `\r\n` and `\t\r\n` both work.
  let e = end;
  let c = 0;
  while (e > start && ((c = buf[e - 1]) === SPACE || c === TAB || c === CR)) e--;
  let s = start;
  while (s < e && ((c = buf[s]) === SPACE || c === TAB)) s++;
  if (s === e) return BLANK;

  // Name: the first field, a word at a time until a word holds a blank
  // (a byte of `x ^ SPACES` or `x ^ TABS` is zero; the test has no false
  // positives), then byte by byte. OR-ing the bytes tells us for free
  // whether it is ASCII.
  const view = chunkView(buf);
  let i = s;
  let high = 0;
  for (const stop = e - 4; i <= stop; i += 4) {
    const x = view.getInt32(i, true);
    const sp = x ^ SPACES;
    const tb = x ^ TABS;
    if ((((sp - ONES) & ~sp) | ((tb - ONES) & ~tb)) & HIGH_BITS) break;
    high |= x;
  }
  while (i < e && (c = buf[i]) !== SPACE && c !== TAB) {
    high |= c;
    i++;
  }
  const nameEnd = i;
  if (nameEnd === e) return FEW_FIELDS;

  // Timestamp: the last field, found from the right so the value may hold blanks.
  let j = e;
  while ((c = buf[j - 1]) !== SPACE && c !== TAB) j--;
  const tsStart = j;

  // Value: between the two, trimmed on both sides.
  let vs = nameEnd;
  while (vs < tsStart && ((c = buf[vs]) === SPACE || c === TAB)) vs++;
  let ve = tsStart;
  while (ve > vs && ((c = buf[ve - 1]) === SPACE || c === TAB)) ve--;
  if (vs === ve) return FEW_FIELDS;

  const timestamp = parseTimestamp(buf, tsStart, e);
  if (timestamp < 0) return BAD_TIMESTAMP;
  fields.s = s;
  fields.nameEnd = nameEnd;
  fields.vs = vs;
  fields.ve = ve;
  fields.timestamp = timestamp;
  fields.high = high;
  return SPLIT;
}

/** The value's text, or null when it is not valid UTF-8. */
function valueText(buf: Buffer, vs: number, ve: number): string | null {
  let high = 0;
  for (let k = vs; k < ve; k++) high |= buf[k];
  if (high < 0x80) return buf.toString("latin1", vs, ve);
  const text = buf.toString("utf8", vs, ve);
  return text.indexOf("\ufffd") >= 0 && !isUtf8(buf.subarray(vs, ve)) ? null : text;
}

/** Exact powers of ten (exact as doubles up to 10^22; 15 are needed). */
const POW10 = Array.from({ length: 16 }, (_, n) => 10 ** n);
const PLUS = 0x2b;
const MINUS = 0x2d;

/**
 * `buf[start..end)` as a number when it is a plain decimal:
 * `[+-]?digits[.digits]`, `[+-]?.digits` or `[+-]?digits.`, at most 15
 * digits in all; NaN for anything else (the caller then goes by the text).
 * Exact: the digits make an integer below 2^53 and the power of ten is
 * exact, so the one division is correctly rounded, the same double
 * `Number()` gives (Clinger's fast path).
 */
export function plainDecimal(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let c = buf[i];
  const negative = c === MINUS;
  if (negative || c === PLUS) i++;
  let m = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < end; i++) {
    c = buf[i];
    if (c >= ZERO && c <= NINE) {
      m = m * 10 + (c - ZERO);
      digits++;
    } else if (c === DOT && fraction < 0) fraction = i + 1;
    else return Number.NaN;
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  const x = fraction < 0 ? m : m / POW10[end - fraction];
  return negative ? -x : x;
}

/**
 * Seconds in `buf[start..end)` (a non-empty run with no blanks), truncated
 * to an integer; -1 when not a finite number >= 0 that truncates to a safe
 * integer. Returning a sentinel rather than throwing keeps this allocation-free.
 */
function parseTimestamp(buf: Buffer, start: number, end: number): number {
  // Fast path, straight from the bytes: `digits`, `digits.digits`, `.digits`
  // or `digits.`, which is what real senders emit. Truncation just drops the
  // fraction, so it is exact even where the double nearest the decimal would
  // round up (9007199254740991.9). Accumulating in a double is exact while
  // the value stays below 2^53, and rounding is monotonic, so anything larger
  // still compares as larger than MAX_SAFE_INTEGER.
  let t = 0;
  let i = start;
  let c = 0;
  while (i < end && (c = buf[i]) >= ZERO && c <= NINE) {
    t = t * 10 + (c - ZERO);
    i++;
  }
  let digits = i - start;
  if (i < end && c === DOT) {
    const fraction = ++i;
    while (i < end && (c = buf[i]) >= ZERO && c <= NINE) i++;
    digits += i - fraction;
  }
  if (i === end) return digits > 0 && t <= Number.MAX_SAFE_INTEGER ? t : -1;

  // Slow path: exponents and signs. Rare, so a string is fine.
  const text = buf.toString("latin1", start, end);
  if (!TIMESTAMP_RE.test(text)) return -1;
  const x = Number(text);
  // Check before truncating, or -0.5 would pass as -0. 2^53 is exact: below it truncation gives a safe integer.
  if (!(x >= 0 && x < 2 ** 53)) return -1;
  return Math.trunc(x) + 0; // + 0 turns "-0" into 0
}

/**
 * The display form of a bad line: its first {@link EXCERPT_MAX_BYTES} bytes,
 * decoded leniently (invalid UTF-8 becomes U+FFFD), followed by `…` when
 * the line was cut here or `more` says it continues beyond `end`.
 *
 * The cut backs off to a character boundary so a quote never ends in half
 * a character.
 *
 * @param buf - the bytes.
 * @param start - offset of the line's first byte.
 * @param end - offset just past the last byte available.
 * @param more - true when the line is known to go on past `end` (a too-long line).
 */
export function lineExcerpt(buf: Buffer, start: number, end: number, more: boolean): string {
  let stop = end;
  if (stop - start > EXCERPT_MAX_BYTES) {
    stop = start + EXCERPT_MAX_BYTES;
    // If the first byte left out is a continuation byte (10xxxxxx), the cut
    // splits a character: step back to its lead byte (at most 3 back) and
    // leave the whole character out. Not UTF-8 anyway: cut where we were.
    let k = stop;
    while (k > stop - 3 && (buf[k] & 0xc0) === 0x80) k--;
    if ((buf[k] & 0xc0) !== 0x80) stop = k;
    more = true;
  }
  const text = buf.toString("utf8", start, stop);
  return more ? text + "…" : text;
}

const REASON_TEXT: Readonly<Record<BadLineReason, string>> = {
  too_few_fields: 'expected "name value timestamp" separated by spaces or tabs',
  bad_timestamp: "the last field must be seconds since the epoch, a number >= 0 (integer or decimal)",
  bad_utf8: "the name or value is not valid UTF-8",
  too_long: "the line is over the length limit and was skipped",
};

/**
 * A one-line, human-readable message for a bad line, quoting it, e.g.
 * `bad line (too_few_fields): expected "name value timestamp" separated by spaces or tabs: "foo 12"`.
 * Control characters in the excerpt are escaped so the message stays on one line.
 */
export function describeBadLine(reason: BadLineReason, excerpt: string): string {
  return `bad line (${reason}): ${REASON_TEXT[reason]}: ${JSON.stringify(excerpt)}`;
}
