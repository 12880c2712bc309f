/**
 * Test helper: a small pickle writer for carbon-shaped batches, in the forms
 * real senders use: Python 3's protocol 0 and 2 (`pickle.dumps`) and statsd's
 * hand-written protocol 0. Independent of the decoder (it shares no code).
 */

export type Scalar = string | number;
export interface CarbonPoint {
  name: string;
  timestamp: number;
  value: Scalar;
}
export type Form = "python0" | "python2" | "statsd";

const latin1 = (s: string) => Buffer.from(s, "latin1");

/** Python 3 protocol 0's UNICODE argument: raw-unicode-escape with backslash and line breaks escaped too. */
function rawUnicodeEscape(s: string): Buffer {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0x5c || cp === 0x0a || cp === 0x0d || cp === 0 || cp === 0x1a || cp > 0xff) {
      out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
    } else out += ch;
  }
  return latin1(out);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}

/** Python's LONG1 argument: little-endian two's complement, as few bytes as hold the sign. */
function long1(n: number): Buffer {
  let v = BigInt(n);
  const bytes: number[] = [];
  while (true) {
    const byte = Number(v & 0xffn);
    bytes.push(byte);
    v >>= 8n;
    if ((v === 0n && byte < 0x80) || (v === -1n && byte >= 0x80)) break;
  }
  return Buffer.from([0x8a, bytes.length, ...bytes]);
}

function pyFloatRepr(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const s = String(x);
  return s.replace(/e\+?/, "e+").replace("e+-", "e-");
}

class Writer {
  parts: Buffer[] = [];
  memo = 0;
  constructor(private readonly form: Form) {}
  op(s: string | Buffer): void {
    this.parts.push(typeof s === "string" ? latin1(s) : s);
  }
  put(): void {
    if (this.form === "python0") this.op(`p${this.memo++}\n`);
    else if (this.form === "python2") this.op(this.memo < 256 ? Buffer.from([0x71, this.memo++]) : Buffer.concat([Buffer.from([0x72]), int32(this.memo++)]));
  }
  str(s: string): void {
    if (this.form === "python0") this.op(Buffer.concat([latin1("V"), rawUnicodeEscape(s), latin1("\n")]));
    else if (this.form === "python2") {
      const b = Buffer.from(s, "utf8");
      this.op(Buffer.concat([latin1("X"), int32(b.length), b]));
    } else {
      // A Python 2 str literal of the UTF-8 bytes: backslash, quote and line breaks escaped.
      const escaped = s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
      this.op(Buffer.concat([latin1("S'"), Buffer.from(escaped, "utf8"), latin1("'\n")]));
    }
    this.put();
  }
  num(x: number): void {
    if (this.form === "statsd") {
      this.op(Number.isInteger(x) ? `L${x}L\n` : `F${pyFloatRepr(x)}\n`);
    } else if (this.form === "python0") {
      if (Number.isInteger(x)) this.op(Math.abs(x) < 2 ** 31 ? `I${x}\n` : `L${BigInt(x)}L\n`);
      else this.op(`F${pyFloatRepr(x)}\n`);
    } else if (Number.isInteger(x)) {
      if (x >= 0 && x < 256) this.op(Buffer.from([0x4b, x]));
      else if (x >= 0 && x < 65536) this.op(Buffer.from([0x4d, x & 0xff, x >> 8]));
      else if (x >= -(2 ** 31) && x < 2 ** 31) this.op(Buffer.concat([latin1("J"), int32(x)]));
      else this.op(long1(x));
    } else {
      const b = Buffer.alloc(9);
      b[0] = 0x47;
      b.writeDoubleBE(x, 1);
      this.op(b);
    }
  }
  scalar(v: Scalar): void {
    if (typeof v === "string") this.str(v);
    else this.num(v);
  }
}

/** One pickle (no length prefix) of `[(name, (timestamp, value)), ...]`. */
export function pickleBatch(points: readonly CarbonPoint[], form: Form): Buffer {
  const w = new Writer(form);
  if (form === "python2") {
    w.op(Buffer.from([0x80, 0x02, 0x5d]));
    w.put();
    // pickle.dumps batches APPENDS by 1000.
    for (let i = 0; i < points.length; i += 1000) {
      const chunk = points.slice(i, i + 1000);
      if (chunk.length > 1) w.op("(");
      for (const p of chunk) {
        w.str(p.name);
        w.num(p.timestamp);
        w.scalar(p.value);
        w.op(Buffer.from([0x86]));
        w.put();
        w.op(Buffer.from([0x86]));
        w.put();
      }
      w.op(chunk.length > 1 ? "e" : "a");
    }
  } else {
    w.op("(l");
    w.put();
    for (const p of points) {
      w.op("(");
      w.str(p.name);
      w.op("(");
      w.num(p.timestamp);
      // statsd sends the value as a string.
      if (form === "statsd") w.str(String(p.value));
      else w.scalar(p.value);
      w.op("t");
      w.put();
      w.op("t");
      w.put();
      w.op("a");
    }
  }
  w.op(".");
  return Buffer.concat(w.parts);
}

/** A frame: the 4-byte big-endian length, then the pickle. */
export function frame(pickle: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(pickle.length);
  return Buffer.concat([head, pickle]);
}
