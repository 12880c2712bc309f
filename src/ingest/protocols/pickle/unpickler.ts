/**
 * A safe unpickler for exactly the data carbon's pickle port carries: lists,
 * tuples, strings (str, unicode, bytes), ints, longs, floats, bools and None,
 * with the MARK and memo opcodes `pickle.dumps` writes for them.
 *
 * Safe by construction: it is a stack machine over a fixed opcode table with
 * no name lookup of any kind, so no opcode can reach code. Every opcode that
 * would (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX,
 * PERSID, BINPERSID, EXT1/2/4) refuses the frame, as does every opcode for
 * other data (dicts, sets, out-of-band buffers) and every byte that is no
 * opcode. Bounds: MARKs and containers nest at most {@link MAX_DEPTH} deep;
 * nothing recurses; every length is checked against the frame's end before
 * anything is read, and the frame itself is bounded by `MAX_PICKLE_FRAME`,
 * so memory is bounded by the frame's bytes.
 *
 * Protocols: a PROTO header of 0 to 5 is accepted, because what is checked
 * is the opcodes, not the header. Python 3.8+ defaults to protocol 4 (5
 * from 3.14), which writes the same data with SHORT_BINUNICODE, MEMOIZE and
 * FRAME; those are accepted, as are protocol 3's BINBYTES. Protocol 5's
 * out-of-band buffers are refused.
 *
 * Decodes straight from the Buffer: strings are cut from it once, numbers
 * read in place, no copy of the frame.
 *
 * @module
 */
import type { PickleFrameReason } from "./pickle-reasons.js";
import { decodeRawUnicodeEscape, decodeText, spacedIf, unescapeBytes } from "./pickle-text.js";
import { depthOf, NotUtf8, Pair, Seq, type PickleValue, type Spaced } from "./pickle-values.js";

export { NotUtf8, Pair, Seq, Spaced, type PickleValue } from "./pickle-values.js";

/** Deepest nesting of MARKs and of containers; carbon's `[(name, (ts, value))]` is three. */
export const MAX_DEPTH = 32;

/** Why a frame was refused. Thrown inside the decoder, caught by its caller (bad input is rare; the good path pays nothing for it). */
export class PickleRefusal extends Error {
  constructor(
    readonly reason: PickleFrameReason,
    message: string,
    readonly offset: number,
    readonly opcode: string | null,
  ) {
    super(message);
  }
}

const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;

/** Opcodes that would reach code, by byte: refused by name. */
const UNSAFE: Readonly<Record<number, string>> = {
  0x63: "GLOBAL",
  0x93: "STACK_GLOBAL",
  0x52: "REDUCE",
  0x62: "BUILD",
  0x69: "INST",
  0x6f: "OBJ",
  0x81: "NEWOBJ",
  0x92: "NEWOBJ_EX",
  0x50: "PERSID",
  0x51: "BINPERSID",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
};

/** Opcodes of pickle for data carbon never sends. */
const UNSUPPORTED: Readonly<Record<number, string>> = {
  0x7d: "EMPTY_DICT",
  0x64: "DICT",
  0x73: "SETITEM",
  0x75: "SETITEMS",
  0x8f: "EMPTY_SET",
  0x90: "ADDITEMS",
  0x91: "FROZENSET",
  0x96: "BYTEARRAY8",
  0x97: "NEXT_BUFFER",
  0x98: "READONLY_BUFFER",
  0x32: "DUP",
};

/** The opcode at `b` for messages: its name where known, else its byte. */
function opcodeName(b: number): string {
  return UNSAFE[b] ?? UNSUPPORTED[b] ?? `0x${b.toString(16).padStart(2, "0")}`;
}

/** What Python's `int(text, 0)` reads as decimal: no leading zeros (its other forms, 0x… and 1_000, pickle.dumps never writes). */
const INTEGER_TEXT = /^[+-]?(?:0+|[1-9]\d*)$/;
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const FLOAT_SPECIAL: Readonly<Record<string, number>> = { inf: Infinity, "+inf": Infinity, "-inf": -Infinity, nan: NaN, "-nan": NaN, "+nan": NaN };


/**
 * A reusable decoder: its stack, MARK stack and memo are kept between
 * frames (cleared, not reallocated). One per connection.
 */
export class Unpickler {
  private readonly stack: PickleValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo: (PickleValue | undefined)[] = [];
  private memoCount = 0;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  private frameLength = 0;
  /** Where the current protocol-4 FRAME ends (0: none). */
  private blockEnd = 0;

  /** Decode the one pickle in `buf[start..end)`; throws {@link PickleRefusal}. */
  load(buf: Buffer, start: number, end: number): PickleValue {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.frameLength = end - start;
    this.blockEnd = 0;
    const stack = this.stack;
    stack.length = 0;
    this.marks.length = 0;
    this.memoCount = 0;
    try {
      return this.run(end);
    } finally {
      // Drop references to the frame and its values: a connection idles with nothing held. The memo's
      // slots are cleared, not freed, so the next frame does not regrow it; one grown by a big frame is freed.
      stack.length = 0;
      const memo = this.memo;
      if (memo.length > MEMO_KEPT) memo.length = 0;
      else memo.fill(undefined);
      this.buf = EMPTY;
    }
  }

  private run(end: number): PickleValue {
    const buf = this.buf;
    const stack = this.stack;
    while (this.pos < end) {
      const at = this.pos;
      const op = buf[this.pos++];
      switch (op) {
        // ---- framing
        case 0x80: {
          // PROTO
          const v = this.byte();
          if (v > 5) throw new PickleRefusal("pickle_protocol", `pickle protocol ${v} (at most 5 is read)`, at, "PROTO");
          break;
        }
        case 0x95: {
          // FRAME: the next n bytes are read as one block. The whole pickle is already here, so only
          // what Python checks is checked: the block is there, starts after the last one ended, and no argument straddles its end.
          this.need(8);
          const n = Number(this.buf.readBigUInt64LE(this.pos));
          this.pos += 8;
          if (this.pos < this.blockEnd) throw this.malformed(at, "a FRAME before the end of the last one");
          if (n > this.end - this.pos) throw this.malformed(at, `a FRAME of ${n} bytes in ${this.end - this.pos} left`);
          this.blockEnd = this.pos + n;
          break;
        }
        case 0x2e: {
          // STOP
          if (this.pos !== end) throw this.malformed(at, `${end - this.pos} bytes after STOP`);
          if (stack.length !== 1 || this.marks.length !== 0) throw this.malformed(at, "STOP with other than one value on the stack");
          return stack[0];
        }
        // ---- scalars
        case 0x4e: // NONE
          stack.push(null);
          break;
        case 0x88: // NEWTRUE: bool is an int to Python (float(True) == 1.0)
          stack.push(1);
          break;
        case 0x89: // NEWFALSE
          stack.push(0);
          break;
        case 0x4b: // BININT1
          stack.push(this.byte());
          break;
        case 0x4d: // BININT2
          this.need(2);
          stack.push(buf.readUInt16LE(this.pos));
          this.pos += 2;
          break;
        case 0x4a: // BININT
          this.need(4);
          stack.push(buf.readInt32LE(this.pos));
          this.pos += 4;
          break;
        case 0x8a: // LONG1
          stack.push(this.long(this.byte()));
          break;
        case 0x8b: {
          // LONG4
          this.need(4);
          const n = buf.readInt32LE(this.pos);
          this.pos += 4;
          if (n < 0) throw this.malformed(at, "negative LONG4 length");
          stack.push(this.long(n));
          break;
        }
        case 0x49: {
          // INT: decimal text; Python 2 writes bools as I01 / I00
          const text = this.line(at);
          if (text === "01") stack.push(1);
          else if (!INTEGER_TEXT.test(text)) throw this.malformed(at, `INT ${JSON.stringify(text.slice(0, 40))}`);
          else stack.push(Number(text));
          break;
        }
        case 0x4c: {
          // LONG: decimal text with Python 2's trailing L
          let text = this.line(at);
          if (text.endsWith("L")) text = text.slice(0, -1);
          if (!INTEGER_TEXT.test(text)) throw this.malformed(at, `LONG ${JSON.stringify(text.slice(0, 40))}`);
          stack.push(Number(text));
          break;
        }
        case 0x46: {
          // FLOAT: repr() text
          const text = this.line(at);
          const special = FLOAT_SPECIAL[text.toLowerCase()];
          if (special !== undefined) stack.push(special);
          else if (FLOAT_TEXT.test(text)) stack.push(Number(text));
          else throw this.malformed(at, `FLOAT ${JSON.stringify(text.slice(0, 40))}`);
          break;
        }
        case 0x47: // BINFLOAT: 8-byte big-endian double
          this.need(8);
          stack.push(buf.readDoubleBE(this.pos));
          this.pos += 8;
          break;
        // ---- strings
        case 0x58: // BINUNICODE
          stack.push(this.unicode(this.length4(at), at));
          break;
        case 0x8c: // SHORT_BINUNICODE
          stack.push(this.unicode(this.byte(), at));
          break;
        case 0x8d: // BINUNICODE8
          stack.push(this.unicode(this.length8(at), at));
          break;
        // Python 2 str: read as carbon reads it (encoding="utf-8"), so like a str.
        case 0x55: // SHORT_BINSTRING
          stack.push(this.unicode(this.byte(), at));
          break;
        case 0x54: // BINSTRING
          stack.push(this.unicode(this.length4(at), at));
          break;
        case 0x43: // SHORT_BINBYTES
          stack.push(this.text(this.byte()));
          break;
        case 0x42: // BINBYTES
          stack.push(this.text(this.length4(at)));
          break;
        case 0x8e: // BINBYTES8
          stack.push(this.text(this.length8(at)));
          break;
        case 0x53: // STRING: a quoted Python 2 str literal
          stack.push(this.quoted(at));
          break;
        case 0x56: // UNICODE: raw-unicode-escape text
          stack.push(this.rawUnicode(at));
          break;
        // ---- containers
        case 0x28: // MARK
          if (this.marks.length >= MAX_DEPTH) throw new PickleRefusal("pickle_too_deep", `MARKs nested over ${MAX_DEPTH} deep`, at, "MARK");
          this.marks.push(stack.length);
          break;
        case 0x5d: // EMPTY_LIST
          stack.push(new Seq([], false, 1));
          break;
        case 0x29: // EMPTY_TUPLE
          stack.push(new Seq([], true, 1));
          break;
        case 0x6c: // LIST
          stack.push(this.fromMark(at, false));
          break;
        case 0x74: // TUPLE
          stack.push(this.fromMark(at, true));
          break;
        case 0x85: // TUPLE1
          this.tupleN(at, 1);
          break;
        case 0x86: // TUPLE2
          this.tupleN(at, 2);
          break;
        case 0x87: // TUPLE3
          this.tupleN(at, 3);
          break;
        case 0x61: {
          // APPEND
          if (stack.length < 2 + this.markTop()) throw this.malformed(at, "APPEND without a list and an item");
          const item = stack.pop()!;
          this.appendTo(stack[stack.length - 1], item, at);
          break;
        }
        case 0x65: {
          // APPENDS
          const mark = this.popMark(at);
          // The list is the value just below the MARK, and itself above any outer MARK (as Python's stack-of-stacks has it).
          if (mark < 1 || mark - 1 < this.markTop()) throw this.malformed(at, "APPENDS without a list");
          const list = stack[mark - 1];
          for (let k = mark; k < stack.length; k++) this.appendTo(list, stack[k], at);
          stack.length = mark;
          break;
        }
        case 0x30: // POP (pickle.dumps writes it for a tuple that holds itself)
          if (stack.length > this.markTop()) stack.pop();
          else if (this.marks.length > 0) this.marks.pop();
          else throw this.malformed(at, "POP of an empty stack");
          break;
        case 0x31: // POP_MARK
          stack.length = this.popMark(at);
          break;
        // ---- memo
        case 0x70: // PUT
          this.put(this.memoKey(at), at);
          break;
        case 0x71: // BINPUT
          this.put(this.byte(), at);
          break;
        case 0x72: // LONG_BINPUT
          this.need(4);
          this.put(buf.readUInt32LE(this.pos), at);
          this.pos += 4;
          break;
        case 0x94: // MEMOIZE
          this.put(this.memoCount, at);
          break;
        case 0x67: // GET
          this.get(this.memoKey(at), at);
          break;
        case 0x68: // BINGET
          this.get(this.byte(), at);
          break;
        case 0x6a: // LONG_BINGET
          this.need(4);
          this.get(buf.readUInt32LE(this.pos), at);
          this.pos += 4;
          break;
        default: {
          const unsafe = UNSAFE[op];
          if (unsafe !== undefined) throw new PickleRefusal("pickle_unsafe_opcode", `pickle opcode ${unsafe} would look up or call code`, at, unsafe);
          throw new PickleRefusal("pickle_unsupported_opcode", `pickle opcode ${opcodeName(op)} is not one carbon's data uses`, at, opcodeName(op));
        }
      }
    }
    throw this.malformed(end, "no STOP before the end of the frame");
  }

  private malformed(at: number, message: string): PickleRefusal {
    return malformed(at, message);
  }

  /** Throw unless `n` more bytes are in the frame. */
  private need(n: number): void {
    if (this.end - this.pos < n) throw this.malformed(this.pos, `an argument of ${n} bytes runs past the frame's end`);
    this.checkBlock(this.pos + n);
  }

  /** An argument ending at `to` must not start inside a FRAME block and end past it (Python reads blocks whole). */
  private checkBlock(to: number): void {
    if (this.pos < this.blockEnd && to > this.blockEnd) throw this.malformed(this.pos, "an argument straddles the end of a FRAME");
  }

  private byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  private length4(at: number): number {
    this.need(4);
    const n = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    if (n > this.end - this.pos) throw this.malformed(at, `a string of ${n} bytes in ${this.end - this.pos} left`);
    return n;
  }

  private length8(at: number): number {
    this.need(8);
    const n = Number(this.buf.readBigUInt64LE(this.pos));
    this.pos += 8;
    if (n > this.end - this.pos) throw this.malformed(at, `a string of ${n} bytes in ${this.end - this.pos} left`);
    return n;
  }

  /** The text argument of a protocol-0 opcode, up to its newline (ASCII). */
  private line(at: number): string {
    const nl = this.buf.indexOf(NEWLINE, this.pos);
    this.checkBlock(nl + 1);
    if (nl < 0 || nl >= this.end) throw this.malformed(at, "a text argument without its newline");
    const text = this.buf.toString("latin1", this.pos, nl);
    this.pos = nl + 1;
    return text;
  }

  private memoKey(at: number): number {
    const text = this.line(at);
    if (!/^\d{1,10}$/.test(text)) throw this.malformed(at, `memo key ${JSON.stringify(text.slice(0, 40))}`);
    return Number(text);
  }

  /** A little-endian two's complement integer of `n` bytes, as the nearest double. */
  private long(n: number): number {
    this.need(n);
    const buf = this.buf;
    const start = this.pos;
    this.pos += n;
    if (n === 0) return 0;
    if (n <= 6) {
      let v = 0;
      for (let k = n - 1; k >= 0; k--) v = v * 256 + buf[start + k];
      // The top bit is the sign.
      return buf[start + n - 1] >= 0x80 ? v - 2 ** (8 * n) : v;
    }
    // Beyond 48 bits: BigInt rounds correctly to the nearest double (longs this big are rare).
    let v = 0n;
    for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(buf[start + k]);
    if (buf[start + n - 1] >= 0x80) v -= 1n << BigInt(8 * n);
    return Number(v);
  }

  /** `n` bytes as UTF-8; bytes that are not UTF-8 are kept apart (their point is bad, not the frame). */
  private text(n: number): string | NotUtf8 | Spaced {
    this.need(n);
    const s = this.pos;
    this.pos += n;
    return decodeText(this.buf, s, s + n);
  }

  /**
   * A str (or a Python 2 str, which carbon unpickles with encoding="utf-8"):
   * UTF-8 that Python itself refuses to unpickle when it is not, so the whole
   * frame fails here too. Only bytes (protocol 3 on) are data that may not be
   * UTF-8, making just their point bad.
   */
  private unicode(n: number, at: number): string | Spaced {
    const text = this.text(n);
    if (text instanceof NotUtf8) throw this.malformed(at, "a str that is not UTF-8");
    return text;
  }

  /** STRING: `'…'` or `"…"` with Python's escapes (`\\`, `\'`, `\n`, `\xhh`, `\ooo`…), then UTF-8. */
  private quoted(at: number): string | Spaced {
    const nl = this.buf.indexOf(NEWLINE, this.pos);
    this.checkBlock(nl + 1);
    if (nl < 0 || nl >= this.end) throw this.malformed(at, "STRING without its newline");
    const buf = this.buf;
    let s = this.pos;
    let e = nl;
    this.pos = nl + 1;
    const q = buf[s];
    if (e - s < 2 || (q !== 0x27 && q !== 0x22) || buf[e - 1] !== q) throw this.malformed(at, "STRING argument not in matching quotes");
    s++;
    e--;
    const slash = buf.indexOf(BACKSLASH, s);
    let bytes: Buffer | null = null;
    if (slash >= 0 && slash < e) {
      try {
        bytes = unescapeBytes(buf, s, e);
      } catch (err) {
        throw this.malformed(at, `${(err as Error).message} in STRING`);
      }
    }
    const text = bytes === null ? decodeText(buf, s, e) : decodeText(bytes, 0, undefined);
    if (text instanceof NotUtf8) throw this.malformed(at, "a STRING that is not UTF-8");
    return text;
  }

  /** UNICODE: raw-unicode-escape, i.e. latin1 bytes with `\uXXXX` and `\UXXXXXXXX` for the rest. */
  private rawUnicode(at: number): string | Spaced {
    const text = this.rawUnicodeText(at);
    return spacedIf(text);
  }

  private rawUnicodeText(at: number): string {
    const nl = this.buf.indexOf(NEWLINE, this.pos);
    this.checkBlock(nl + 1);
    if (nl < 0 || nl >= this.end) throw this.malformed(at, "UNICODE without its newline");
    const raw = this.buf.toString("latin1", this.pos, nl);
    this.pos = nl + 1;
    if (raw.indexOf("\\") < 0) return raw;
    try {
      return decodeRawUnicodeEscape(raw);
    } catch (err) {
      throw this.malformed(at, `${(err as Error).message} in UNICODE`);
    }
  }

  private markTop(): number {
    const m = this.marks;
    return m.length === 0 ? 0 : m[m.length - 1];
  }

  private popMark(at: number): number {
    const m = this.marks.pop();
    if (m === undefined) throw this.malformed(at, "no MARK to close");
    return m;
  }

  /** A container's depth from its items: one more than its deepest item. */
  private depthOf(items: PickleValue[], from: number, to: number, at: number): number {
    let depth = 1;
    for (let k = from; k < to; k++) {
      const d = depthOf(items[k]) + 1;
      if (d > depth) depth = d;
    }
    if (depth > MAX_DEPTH) throw new PickleRefusal("pickle_too_deep", `containers nested over ${MAX_DEPTH} deep`, at, null);
    return depth;
  }

  private fromMark(at: number, tuple: boolean): Seq {
    const mark = this.popMark(at);
    const stack = this.stack;
    const depth = this.depthOf(stack, mark, stack.length, at);
    const items = stack.slice(mark);
    stack.length = mark;
    return new Seq(items, tuple, depth);
  }

  private tupleN(at: number, n: number): void {
    const stack = this.stack;
    const from = stack.length - n;
    if (from < this.markTop()) throw this.malformed(at, `TUPLE${n} with fewer than ${n} items`);
    if (n === 2) {
      const b = stack.pop()!;
      const a = stack.pop()!;
      const depth = Math.max(depthOf(a), depthOf(b)) + 1;
      if (depth > MAX_DEPTH) throw new PickleRefusal("pickle_too_deep", `containers nested over ${MAX_DEPTH} deep`, at, null);
      stack.push(new Pair(a, b, depth));
      return;
    }
    const depth = this.depthOf(stack, from, stack.length, at);
    const items = stack.slice(from);
    stack.length = from;
    stack.push(new Seq(items, true, depth));
  }

  private appendTo(list: PickleValue, item: PickleValue, at: number): void {
    if (!(list instanceof Seq) || list.tuple) throw this.malformed(at, "APPEND to something not a list");
    const depth = depthOf(item) + 1;
    if (depth > list.depth) {
      if (depth > MAX_DEPTH) throw new PickleRefusal("pickle_too_deep", `containers nested over ${MAX_DEPTH} deep`, at, null);
      list.depth = depth;
    }
    list.items.push(item);
  }

  private put(key: number, at: number): void {
    const stack = this.stack;
    if (stack.length === 0 || stack.length <= this.markTop()) throw this.malformed(at, "PUT of an empty stack");
    // A memo key pickle.dumps writes is below the number of values, hence below the frame's length: a bigger one is hostile.
    if (key >= this.frameLength) throw this.malformed(at, `memo key ${key} beyond any pickle of this size`);
    if (this.memo[key] === undefined) this.memoCount++;
    this.memo[key] = stack[stack.length - 1];
  }

  private get(key: number, at: number): void {
    const v = key < this.memo.length ? this.memo[key] : undefined;
    if (v === undefined) throw this.malformed(at, `memo key ${key} was never PUT`);
    this.stack.push(v);
  }
}

const EMPTY = Buffer.alloc(0);
/** Memo slots kept between frames: enough for carbon-relay's 500-point frames (three per point). */
const MEMO_KEPT = 4096;

function malformed(at: number, message: string): PickleRefusal {
  return new PickleRefusal("pickle_malformed", `malformed pickle: ${message}`, at, null);
}

