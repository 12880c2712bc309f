import type { Interval, TypeName } from "../../timeseries/index.js";
import { WriteBatch } from "../../timeseries/index.js";
// The SQLite writer thread's flat form of a batch carries every type's rows already; the spool stores that form.
import { decodeBatch, encodeBatch, type EncodedPart } from "../../timeseries/backends/sqlite/batch-codec.js";

/**
 * A spool record's payload: one WriteBatch as `header length u32 | header
 * JSON | zero padding to 8 bytes | each part's numbers as float64`. The
 * header has the flush id, size, points, and per part its namespace,
 * intervals, names, text and number count. JSON for the strings (V8 writes
 * and reads it faster than any hand-rolled string table), raw doubles for
 * the numbers (exact, no formatting).
 */
interface Header {
  f: string | null;
  s: number;
  p: number;
  parts: Array<{ prefix: string; type: TypeName; intervals: EncodedPart["intervals"]; names: string[]; text: string[]; n: number }>;
}

export function encodeSpoolPayload(batch: WriteBatch): Buffer {
  const { encoded } = encodeBatch(batch);
  const header: Header = {
    f: batch.flushId ?? null,
    s: encoded.size,
    p: encoded.points,
    parts: encoded.parts.map((p) => ({ prefix: p.prefix, type: p.type, intervals: p.intervals, names: p.names, text: p.text, n: p.numbers.length })),
  };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const numbersAt = align8(4 + json.length);
  let numbers = 0;
  for (const p of encoded.parts) numbers += p.numbers.length;
  const out = Buffer.alloc(numbersAt + numbers * 8);
  out.writeUInt32LE(json.length, 0);
  out.set(json, 4);
  let at = numbersAt;
  for (const p of encoded.parts) {
    out.set(new Uint8Array(p.numbers.buffer, p.numbers.byteOffset, p.numbers.byteLength), at);
    at += p.numbers.byteLength;
  }
  return out;
}

/**
 * The batch back, flush id and all. Throws on a payload that does not
 * parse (the checksum passed, so only a bug or a different version could
 * make one); the spool counts such a record as corrupt.
 */
export function decodeSpoolPayload(payload: Uint8Array, intervalCache?: Map<string, Interval>): WriteBatch {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const jsonLength = view.getUint32(0, true);
  const header = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset + 4, jsonLength).toString("utf8")) as Header;
  let at = align8(4 + jsonLength);
  const parts = header.parts.map((p) => {
    const bytes = p.n * 8;
    if (at + bytes > payload.length) throw new Error("spool record: numbers run past the end of the record");
    // A copy: the payload's offset in its buffer need not be a multiple of 8.
    const numbers = new Float64Array(payload.buffer.slice(payload.byteOffset + at, payload.byteOffset + at + bytes));
    at += bytes;
    return { prefix: p.prefix, type: p.type, intervals: p.intervals, names: p.names, text: p.text, numbers };
  });
  const batch = decodeBatch({ parts, size: header.s, points: header.p }, intervalCache);
  batch.flushId = header.f ?? undefined;
  return batch;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
