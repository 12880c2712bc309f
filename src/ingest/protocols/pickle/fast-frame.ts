/**
 * One pass over a frame in exactly the shape carbon-relay and
 * `pickle.dumps` (protocols 2 to 5) write for
 * `[(name, (timestamp, value)), ...]`, collecting its points without
 * building a value per tuple or list. It only ever says "this frame is
 * plain and these are its points" or "not plain": a frame with anything
 * else in it (another opcode, a memo GET of anything but text, a name with a
 * blank, a point the general path would count as bad, a refusal of any kind) is left whole to
 * the general `Unpickler`, so what reaches the sink is the same either way
 * (statsd's protocol-0 pickles always take that path).
 *
 * @module
 */

/** Node's binding behind `toString("latin1", s, e)`, without the wrapper's argument checks. */
type SliceBuffer = Buffer & { latin1Slice?: (start: number, end: number) => string };
const latin1: (buf: Buffer, s: number, e: number) => string =
  typeof (Buffer.prototype as SliceBuffer).latin1Slice === "function" ? (buf, s, e) => (buf as SliceBuffer).latin1Slice!(s, e) : (buf, s, e) => buf.toString("latin1", s, e);

/** `String(n)` of the small integers values mostly are, made once. */
const SMALL = 1024;
const SMALL_TEXT: readonly string[] = Array.from({ length: SMALL }, (_, k) => String(k));
const valueText = (v: number): string => (v >= 0 && v < SMALL && (v | 0) === v && !Object.is(v, -0) ? SMALL_TEXT[v] : String(v));

/** The points of a plain frame, in order; reused from frame to frame. */
export class PlainPoints {
  readonly names: string[] = [];
  readonly values: string[] = [];
  readonly seconds: number[] = [];
  count = 0;
  /** The frame's memo as far as this pass needs it: the text PUT under a key, null for anything else PUT, undefined for no PUT. */
  readonly memo: (string | null | undefined)[] = [];
  /** Whether the text under a key holds a blank (so it cannot be a name). */
  readonly memoBlank: boolean[] = [];
  memoCount = 0;
  memoTop = -1;

  /** Drop the strings of the last frame (a connection idles holding none); arrays grown by a big frame are freed. */
  clear(): void {
    const top = this.memoTop;
    if (top >= KEPT * 4) {
      this.memo.length = 0;
      this.memoBlank.length = 0;
    } else if (top >= 0) this.memo.fill(undefined, 0, top + 1);
    this.memoTop = -1;
    this.memoCount = 0;
    const n = this.count;
    this.count = 0;
    if (n > KEPT) {
      this.names.length = 0;
      this.values.length = 0;
      this.seconds.length = 0;
    } else {
      this.names.fill("", 0, n);
      this.values.fill("", 0, n);
    }
  }
}

/** Points kept room for between frames: carbon-relay sends 500 a frame. */
const KEPT = 4096;

/** A position that says "not plain" (positions are never negative). */
const NOT_PLAIN = -1;

/**
 * Scan `buf[start..end)`; true when it is plain, its points in `out`
 * (`out.count` of them), false to hand it to the general unpickler.
 * Either way `out.clear()` afterwards lets go of what it holds.
 * @param maxName - the longest good name (UTF-16 units), as `emitPoints` bounds it.
 */
export function scanPlainFrame(buf: Buffer, start: number, end: number, maxName: number, out: PlainPoints): boolean {
  // Most frames read no memo: the first pass keeps none, and only a frame that turns out to GET is read again keeping it.
  tracking = false;
  sawGet = false;
  if (scan(buf, start, end, maxName, out)) return true;
  if (!sawGet) return false;
  tracking = true;
  return scan(buf, start, end, maxName, out);
}

/** Whether this pass keeps the memo (module slots: set per frame, read in the loop without passing them around). */
let tracking = false;
/** Whether an untracked pass stopped at a memo GET. */
let sawGet = false;

function scan(buf: Buffer, start: number, end: number, maxName: number, out: PlainPoints): boolean {
  const frameLength = end - start;
  let pos = start;
  out.clear();
  if (pos + 2 <= end && buf[pos] === 0x80) {
    if (buf[pos + 1] > 5) return false;
    pos += 2;
  }
  if (pos < end && buf[pos] === 0x95) {
    // FRAME: accepted when it is the only one and runs to the end (no argument can straddle it then).
    if (end - pos < 9) return false;
    const lo = buf.readUInt32LE(pos + 1);
    const hi = buf.readUInt32LE(pos + 5);
    pos += 9;
    if (hi !== 0 || lo !== end - pos) return false;
  }
  if (pos >= end || buf[pos] !== 0x5d) return false; // EMPTY_LIST
  pos++;
  pos = skipMemo(buf, pos, end, frameLength, out, null, false);
  if (pos < 0) return false;
  const memo = out.memo;
  const names = out.names;
  const values = out.values;
  const seconds = out.seconds;
  let n = 0;
  // -1: no MARK open; else the count of points when it opened.
  let mark = -1;
  let pending = 0;
  while (pos < end) {
    const op = buf[pos];
    if (op === 0x2e) {
      // STOP: the list alone on the stack.
      return pos + 1 === end && mark === -1 && pending === 0;
    }
    if (op === 0x28) {
      if (mark !== -1 || pending !== 0) return false;
      mark = n;
      pos++;
      continue;
    }
    if (op === 0x65) {
      // APPENDS
      if (mark === -1) return false;
      mark = -1;
      pending = 0;
      pos++;
      continue;
    }
    if (op === 0x61) {
      // APPEND: one point, no MARK open.
      if (mark !== -1 || pending !== 1) return false;
      pending = 0;
      pos++;
      continue;
    }
    if (mark === -1 && pending !== 0) return false;
    // A point: name, timestamp, value, TUPLE2, TUPLE2, each maybe memoized.
    let len: number;
    let s: number;
    let got: string | null | undefined = null;
    if (op === 0x58 || op === 0x54) {
      // BINUNICODE, BINSTRING
      if (end - pos < 5) return false;
      len = u32(buf, pos + 1);
      s = pos + 5;
    } else if (op === 0x8c || op === 0x55) {
      // SHORT_BINUNICODE, SHORT_BINSTRING
      if (end - pos < 2) return false;
      len = buf[pos + 1];
      s = pos + 2;
    } else if (op === 0x68 || op === 0x6a) {
      // BINGET, LONG_BINGET: a name pickle.dumps wrote before (the same str object twice in a batch).
      if (!tracking) {
        sawGet = true;
        return false;
      }
      const key = memoKey(buf, pos, end);
      if (key < 0) return false;
      pos = memoKeyEnd;
      got = key < memo.length ? memo[key] : undefined;
      if (typeof got !== "string" || out.memoBlank[key]) return false;
      len = -1;
      s = pos;
    } else return false;
    let name: string;
    let e: number;
    if (len >= 0) {
      if (len > end - s) return false;
      e = s + len;
      let high = 0;
      for (let k = s; k < e; k++) {
        const c = buf[k];
        high |= c;
        if (c <= 0x20 && (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d)) return false;
      }
      if (high < 0x80) name = latin1(buf, s, e);
      else {
        name = buf.toString("utf8", s, e);
        // Not UTF-8 (or a real U+FFFD): the general path decides.
        if (name.indexOf("\ufffd") >= 0) return false;
      }
    } else {
      name = got as string;
      e = s;
    }
    if (name.length === 0 || name.length > maxName) return false;
    pos = skipMemo(buf, e, end, frameLength, out, name, false);
    if (pos < 0) return false;
    // Timestamp
    const ts = readNumber(buf, pos, end);
    if (ts === NOT_PLAIN_NUMBER) return false;
    pos = numberEnd;
    if (!(ts >= 0 && ts < 2 ** 53)) return false;
    pos = skipMemo(buf, pos, end, frameLength, out, null, false);
    if (pos < 0) return false;
    // Value: a number, or text.
    let value: string;
    let valueBlank = false;
    let valueIsText = true;
    const vop = pos < end ? buf[pos] : -1;
    if (vop === 0x68 || vop === 0x6a) {
      // A text value written before.
      if (!tracking) {
        sawGet = true;
        return false;
      }
      const key = memoKey(buf, pos, end);
      if (key < 0) return false;
      pos = memoKeyEnd;
      const v = key < memo.length ? memo[key] : undefined;
      if (typeof v !== "string") return false;
      value = v;
      valueBlank = out.memoBlank[key];
    } else if (vop === 0x58 || vop === 0x54 || vop === 0x8c || vop === 0x55) {
      let vs: number;
      let vlen: number;
      if (vop === 0x58 || vop === 0x54) {
        if (end - pos < 5) return false;
        vlen = u32(buf, pos + 1);
        vs = pos + 5;
      } else {
        if (end - pos < 2) return false;
        vlen = buf[pos + 1];
        vs = pos + 2;
      }
      if (vlen > end - vs) return false;
      const ve = vs + vlen;
      let vhigh = 0;
      for (let k = vs; k < ve; k++) {
        const c = buf[k];
        vhigh |= c;
        if (c <= 0x20 && (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d)) valueBlank = true;
      }
      if (vhigh < 0x80) value = latin1(buf, vs, ve);
      else {
        value = buf.toString("utf8", vs, ve);
        if (value.indexOf("\ufffd") >= 0) return false;
      }
      pos = ve;
    } else {
      const v = readNumber(buf, pos, end);
      if (v === NOT_PLAIN_NUMBER) return false;
      pos = numberEnd;
      value = valueText(v);
      valueIsText = false;
    }
    pos = skipMemo(buf, pos, end, frameLength, out, valueIsText ? value : null, valueBlank);
    if (pos < 0 || pos >= end || buf[pos] !== 0x86) return false;
    pos = skipMemo(buf, pos + 1, end, frameLength, out, null, false);
    if (pos < 0 || pos >= end || buf[pos] !== 0x86) return false;
    pos = skipMemo(buf, pos + 1, end, frameLength, out, null, false);
    if (pos < 0) return false;
    names[n] = name;
    values[n] = value;
    seconds[n] = Math.trunc(ts) + 0;
    // Counted as they are written, so clear() drops them even when the frame turns out not plain.
    out.count = ++n;
    pending++;
  }
  return false;
}

/** A little-endian uint32 whose 4 bytes are known to be in `buf` (without `readUInt32LE`'s checks). */
const u32 = (buf: Buffer, at: number): number => (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16)) + buf[at + 3] * 0x1000000;

/** Memo keys this pass keeps track of; a frame using bigger ones (pickle.dumps numbers them from 0) is the general path's. */
const MEMO_KEYS = 1 << 17;

/**
 * After a value: any BINPUT / LONG_BINPUT / MEMOIZE of it, noted in `out`'s
 * memo as `top` (its text, or null when it is not text; `blank`: the text
 * holds a blank). -1 for a key the general path refuses or this pass does not keep.
 */
function skipMemo(buf: Buffer, pos: number, end: number, frameLength: number, out: PlainPoints, top: string | null, blank: boolean): number {
  while (pos < end) {
    const op = buf[pos];
    let key: number;
    if (op === 0x71) {
      if (end - pos < 2) return NOT_PLAIN;
      key = buf[pos + 1];
      pos += 2;
    } else if (op === 0x72) {
      if (end - pos < 5) return NOT_PLAIN;
      key = u32(buf, pos + 1);
      pos += 5;
    } else if (op === 0x94) {
      key = out.memoCount;
      pos++;
    } else break;
    // As the general path: a key no pickle this size would use is refused.
    if (key >= frameLength) return NOT_PLAIN;
    if (!tracking) continue;
    if (key >= MEMO_KEYS) return NOT_PLAIN;
    const memo = out.memo;
    while (memo.length <= key) {
      memo.push(undefined);
      out.memoBlank.push(false);
    }
    if (memo[key] === undefined) out.memoCount++;
    memo[key] = top;
    out.memoBlank[key] = blank;
    if (key > out.memoTop) out.memoTop = key;
  }
  return pos;
}

/** Where the memo key {@link memoKey} just read ends. */
let memoKeyEnd = 0;

/** The memo key of the BINGET (0x68) or LONG_BINGET at `pos`, or -1 when the frame ends first; `memoKeyEnd` is set past it. */
function memoKey(buf: Buffer, pos: number, end: number): number {
  if (buf[pos] === 0x68) {
    if (end - pos < 2) return -1;
    memoKeyEnd = pos + 2;
    return buf[pos + 1];
  }
  if (end - pos < 5) return -1;
  memoKeyEnd = pos + 5;
  return u32(buf, pos + 1);
}

/** A distinct NaN cannot be told apart, so "not plain" is a value no number opcode here yields: a string would cost a type test per read. */
const NOT_PLAIN_NUMBER = -0.5;
/** Where the number {@link readNumber} just read ends (a module slot, not an allocated result). */
let numberEnd = 0;

/**
 * The number opcode at `pos` (BININT1, BININT2, BININT, LONG1 of up to 6
 * bytes or a positive one below 2 ** 53, BINFLOAT), or {@link NOT_PLAIN_NUMBER}; `numberEnd` is set past it.
 * A BINFLOAT of exactly -0.5 is reported as not plain too (the general path reads it).
 */
function readNumber(buf: Buffer, pos: number, end: number): number {
  const op = pos < end ? buf[pos] : -1;
  switch (op) {
    case 0x4b:
      if (end - pos < 2) return NOT_PLAIN_NUMBER;
      numberEnd = pos + 2;
      return buf[pos + 1];
    case 0x4d:
      if (end - pos < 3) return NOT_PLAIN_NUMBER;
      numberEnd = pos + 3;
      return buf[pos + 1] | (buf[pos + 2] << 8);
    case 0x4a:
      if (end - pos < 5) return NOT_PLAIN_NUMBER;
      numberEnd = pos + 5;
      return buf[pos + 1] | (buf[pos + 2] << 8) | (buf[pos + 3] << 16) | (buf[pos + 4] << 24);
    case 0x47:
      if (end - pos < 9) return NOT_PLAIN_NUMBER;
      numberEnd = pos + 9;
      return buf.readDoubleBE(pos + 1);
    case 0x8a: {
      if (end - pos < 2) return NOT_PLAIN_NUMBER;
      const len = buf[pos + 1];
      if (len > 8 || end - pos - 2 < len) return NOT_PLAIN_NUMBER;
      const s = pos + 2;
      numberEnd = s + len;
      if (len === 0) return 0;
      let v = 0;
      for (let k = len - 1; k >= 0; k--) v = v * 256 + buf[s + k];
      // Over 6 bytes only a positive long below 2 ** 53 is exact in a double (a negative one reads as at least 2 ** 55 here;
      // the general path rounds those through BigInt).
      if (len > 6) return v < 2 ** 53 ? v : NOT_PLAIN_NUMBER;
      return buf[s + len - 1] >= 0x80 ? v - 2 ** (8 * len) : v;
    }
    default:
      return NOT_PLAIN_NUMBER;
  }
}
