import type { RelayPoint } from "./relay-point.js";

/** How a relay frames its points: Carbon's plaintext lines (port 2003) or pickle frames (port 2004). */
export type RelayProtocol = "plaintext" | "pickle";

/** `name value timestamp\n` per point, as Carbon's line receiver reads them. */
export function encodeLines(points: readonly RelayPoint[]): Buffer {
  let text = "";
  for (const p of points) text += `${p.name} ${p.value} ${p.ts}\n`;
  return Buffer.from(text, "utf8");
}

// Pickle protocol 2 opcodes: all this encoder needs for a list of (str, (int, float)).
const PROTO = 0x80;
const EMPTY_LIST = 0x5d; // ]
const MARK = 0x28; // (
const BINUNICODE = 0x58; // X: 4-byte little-endian length, UTF-8
const BININT = 0x4a; // J: 4-byte signed little-endian
const LONG1 = 0x8a; // 1-byte length, little-endian two's complement
const BINFLOAT = 0x47; // G: 8-byte big-endian double
const TUPLE2 = 0x86;
const APPENDS = 0x65; // e
const STOP = 0x2e; // .

/**
 * One pickle frame: a 4-byte big-endian length, then a protocol-2 pickle of
 * `[(name, (timestamp, value)), ...]`, what carbon-relay sends. No memo and
 * no globals: any unpickler, Carbon's strict one included, reads it.
 */
export function encodePickleFrame(points: readonly RelayPoint[]): Buffer {
  let size = 4 + 2 + 1 + 1 + 1 + 1;
  const names: Buffer[] = new Array(points.length);
  for (let i = 0; i < points.length; i++) {
    names[i] = Buffer.from(points[i].name, "utf8");
    size += 1 + 4 + names[i].length + 10 + 9 + 2;
  }
  const buf = Buffer.allocUnsafe(size);
  let o = 4;
  buf[o++] = PROTO;
  buf[o++] = 2;
  buf[o++] = EMPTY_LIST;
  buf[o++] = MARK;
  for (let i = 0; i < points.length; i++) {
    const name = names[i];
    buf[o++] = BINUNICODE;
    buf.writeUInt32LE(name.length, o);
    o += 4;
    o += name.copy(buf, o);
    o = writeInt(buf, o, points[i].ts);
    buf[o++] = BINFLOAT;
    buf.writeDoubleBE(points[i].value, o);
    o += 8;
    buf[o++] = TUPLE2;
    buf[o++] = TUPLE2;
  }
  buf[o++] = APPENDS;
  buf[o++] = STOP;
  buf.writeUInt32BE(o - 4, 0);
  return buf.subarray(0, o);
}

/** A whole number as BININT when it fits 32 bits, else LONG1 (8 bytes covers any safe integer). */
function writeInt(buf: Buffer, o: number, n: number): number {
  if (n >= -0x8000_0000 && n <= 0x7fff_ffff) {
    buf[o++] = BININT;
    buf.writeInt32LE(n, o);
    return o + 4;
  }
  buf[o++] = LONG1;
  buf[o++] = 8;
  buf.writeBigInt64LE(BigInt(n), o);
  return o + 8;
}

export function encodePoints(protocol: RelayProtocol, points: readonly RelayPoint[]): Buffer {
  return protocol === "pickle" ? encodePickleFrame(points) : encodeLines(points);
}
