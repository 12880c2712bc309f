import { crc32 } from "node:zlib";

/**
 * The spool's record framing: `magic u32 | payload length u32 | CRC-32 of
 * the payload u32 | payload`, little-endian. A record is whole or it is not
 * there: a crash mid-append leaves a tail whose length runs past the end of
 * the file or whose checksum fails, and the reader drops it (counted) rather
 * than hand on half a batch.
 */
export const RECORD_MAGIC = 0x31525053; // "SPR1"
export const RECORD_HEADER = 12;
/** A record's payload is one flush; anything claiming more than this is a corrupt length, not a batch. */
export const MAX_RECORD_PAYLOAD = 1024 * 1024 * 1024;

/** One record: its header, then the payload's pieces (written as they are, not copied into one buffer). */
export function frameRecord(payload: Uint8Array | readonly Uint8Array[]): { pieces: Uint8Array[]; length: number } {
  // Empty pieces left out: zlib.crc32 of an empty view of an empty ArrayBuffer answers 0, whatever the running value.
  const chunks = (payload instanceof Uint8Array ? [payload] : payload).filter((c) => c.length > 0);
  let length = 0;
  let crc = 0;
  for (const c of chunks) {
    length += c.length;
    crc = crc32(c, crc);
  }
  const header = Buffer.allocUnsafe(RECORD_HEADER);
  header.writeUInt32LE(RECORD_MAGIC, 0);
  header.writeUInt32LE(length, 4);
  header.writeUInt32LE(crc, 8);
  return { pieces: [header, ...chunks], length: RECORD_HEADER + length };
}

/** Reads `length` bytes at `position` (fewer at the end of the data). */
export type ReadAt = (position: number, length: number) => Uint8Array;

/** What is at a position of a segment. */
export type RecordAt =
  | { readonly kind: "record"; readonly payload: Uint8Array; readonly next: number }
  /** A whole frame whose checksum fails: skipped (its length is believable, so the next record is found). */
  | { readonly kind: "corrupt"; readonly next: number }
  /** A frame cut short or with no magic: nothing after it can be framed; the rest of the segment is dropped. */
  | { readonly kind: "torn" }
  | { readonly kind: "end" };

/** The record at `position` of data `size` bytes long. */
export function recordAt(read: ReadAt, position: number, size: number): RecordAt {
  if (position >= size) return { kind: "end" };
  if (size - position < RECORD_HEADER) return { kind: "torn" };
  const h = read(position, RECORD_HEADER);
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const length = view.getUint32(4, true);
  if (h.length < RECORD_HEADER || view.getUint32(0, true) !== RECORD_MAGIC || length > MAX_RECORD_PAYLOAD) return { kind: "torn" };
  const next = position + RECORD_HEADER + length;
  if (next > size) return { kind: "torn" };
  const payload = read(position + RECORD_HEADER, length);
  if (payload.length !== length) return { kind: "torn" };
  if (crc32(payload) !== view.getUint32(8, true)) return { kind: "corrupt", next };
  return { kind: "record", payload, next };
}

/** Every record of an in-memory segment, and what was dropped: for tests and tools. */
export function scanRecords(data: Uint8Array): { payloads: Uint8Array[]; dropped: number; end: number } {
  const read: ReadAt = (p, n) => data.subarray(p, p + n);
  const payloads: Uint8Array[] = [];
  let dropped = 0;
  for (let at = 0; ; ) {
    const r = recordAt(read, at, data.length);
    if (r.kind === "end") return { payloads, dropped, end: at };
    if (r.kind === "torn") return { payloads, dropped: dropped + 1, end: at };
    if (r.kind === "corrupt") dropped++;
    else payloads.push(r.payload);
    at = r.next;
  }
}
