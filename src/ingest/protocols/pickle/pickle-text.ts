/**
 * Text in a pickle: UTF-8 (str, Python 2 str, bytes), Python 2 str
 * literals (`STRING`) and raw-unicode-escape (`UNICODE`), decoded straight
 * from the Buffer.
 *
 * @module
 */
import { isUtf8 } from "node:buffer";
import { NotUtf8, Spaced } from "./pickle-values.js";

const BACKSLASH = 0x5c;
const BLANK = /[ \t\r\n]/;

/**
 * Node's own binding behind `toString("latin1", s, e)`, without the wrapper's
 * argument checks (a tenth of the decoder's time on short names); the public
 * call where a Node lacks it.
 */
type SliceBuffer = Buffer & { latin1Slice?: (start: number, end: number) => string };
const latin1: (buf: Buffer, s: number, e: number) => string =
  typeof (Buffer.prototype as SliceBuffer).latin1Slice === "function" ? (buf, s, e) => (buf as SliceBuffer).latin1Slice!(s, e) : (buf, s, e) => buf.toString("latin1", s, e);

/** `buf[s..e)` as UTF-8, or {@link NotUtf8}. All-ASCII (the norm) is a straight byte copy with nothing to validate. */
export function decodeText(buf: Buffer, s: number, end: number | undefined): string | NotUtf8 | Spaced {
  const e = end ?? buf.length;
  let high = 0;
  let blank = false;
  for (let k = s; k < e; k++) {
    const c = buf[k];
    high |= c;
    if (c <= 0x20 && (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d)) blank = true;
  }
  let text: string;
  if (high < 0x80) text = latin1(buf, s, e);
  else {
    text = buf.toString("utf8", s, e);
    // Invalid UTF-8 always decodes to U+FFFD, so only then is a validating pass needed.
    if (text.indexOf("\ufffd") >= 0 && !isUtf8(buf.subarray(s, e))) return new NotUtf8(buf.toString("utf8", s, Math.min(e, s + 200)));
  }
  return blank ? new Spaced(text) : text;
}

/** `text`, or {@link Spaced} when it holds a blank or line break. */
export function spacedIf(text: string): string | Spaced {
  return BLANK.test(text) ? new Spaced(text) : text;
}

const ESCAPES: Readonly<Record<string, number>> = { "\\": 0x5c, "'": 0x27, '"': 0x22, a: 0x07, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b };

/** Python's `escape_decode` of `buf[s..e)`: the bytes a Python 2 str literal stands for. Throws a RangeError on a broken escape. */
export function unescapeBytes(buf: Buffer, s: number, e: number): Buffer {
  const out = Buffer.allocUnsafe(e - s);
  let n = 0;
  let k = s;
  const fail = (m: string) => {
    throw new RangeError(m);
  };
  while (k < e) {
    const c = buf[k++];
    if (c !== BACKSLASH) {
      out[n++] = c;
      continue;
    }
    if (k >= e) fail("STRING ends in a backslash");
    const d = String.fromCharCode(buf[k]);
    if (d === "\n") {
      k++;
    } else if (ESCAPES[d] !== undefined) {
      out[n++] = ESCAPES[d];
      k++;
    } else if (d === "x") {
      const hex = buf.toString("latin1", k + 1, Math.min(e, k + 3));
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail("a bad \\x escape in STRING");
      out[n++] = Number.parseInt(hex, 16);
      k += 3;
    } else if (d >= "0" && d <= "7") {
      let v = 0;
      let digits = 0;
      while (digits < 3 && k < e && buf[k] >= 0x30 && buf[k] <= 0x37) {
        v = v * 8 + (buf[k] - 0x30);
        k++;
        digits++;
      }
      out[n++] = v & 0xff;
    } else {
      // Python keeps an unknown escape as written.
      out[n++] = BACKSLASH;
    }
  }
  return out.subarray(0, n);
}

/** Python's raw-unicode-escape: latin1 with `\\uXXXX` and `\\UXXXXXXXX` for the rest. Throws a RangeError on a broken escape. */
export function decodeRawUnicodeEscape(raw: string): string {
    let out = "";
    let k = 0;
    while (k < raw.length) {
      const c = raw.charCodeAt(k);
      if (c !== 0x5c) {
        out += raw[k++];
        continue;
      }
      // A run of backslashes: only the last one of an odd run starts an escape.
      let run = 0;
      while (raw.charCodeAt(k + run) === 0x5c) run++;
      const next = raw[k + run];
      if (run % 2 === 1 && (next === "u" || next === "U")) {
        out += "\\".repeat(run - 1);
        const digits = next === "u" ? 4 : 8;
        const hex = raw.slice(k + run + 1, k + run + 1 + digits);
        if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw new RangeError("a truncated \\u escape");
        const cp = Number.parseInt(hex, 16);
        if (cp > 0x10ffff) throw new RangeError("a \\U escape beyond U+10FFFF");
        out += String.fromCodePoint(cp);
        k += run + 1 + digits;
      } else {
        out += "\\".repeat(run);
        k += run;
      }
    }
    return out;
}
