import { AGGREGATION_METHODS, ARCHIVE_INFO_SIZE, METADATA_SIZE, POINT_SIZE, type AggregationMethod, type WhisperHeader } from "./whisper-format.js";

/**
 * A whisper file in memory, written the way whisper.py lays points out
 * (no propagation between archives: each archive is written directly).
 * For tests and the benchmark; the importer only reads.
 */
export function createWhisperBuffer(
  archives: ReadonlyArray<{ secondsPerPoint: number; points: number }>,
  aggregationMethod: AggregationMethod = "average",
  xFilesFactor = 0.5,
): Buffer {
  let offset = METADATA_SIZE + archives.length * ARCHIVE_INFO_SIZE;
  const size = offset + archives.reduce((s, a) => s + a.points * POINT_SIZE, 0);
  const buf = Buffer.alloc(size);
  buf.writeUInt32BE(AGGREGATION_METHODS.indexOf(aggregationMethod), 0);
  buf.writeUInt32BE(Math.max(...archives.map((a) => a.secondsPerPoint * a.points)), 4);
  buf.writeFloatBE(xFilesFactor, 8);
  buf.writeUInt32BE(archives.length, 12);
  archives.forEach((a, i) => {
    const at = METADATA_SIZE + i * ARCHIVE_INFO_SIZE;
    buf.writeUInt32BE(offset, at);
    buf.writeUInt32BE(a.secondsPerPoint, at + 4);
    buf.writeUInt32BE(a.points, at + 8);
    offset += a.points * POINT_SIZE;
  });
  return buf;
}

/**
 * Write one point into archive `index` as whisper.py does: aligned down to
 * the step, at its slot counted from the timestamp in slot 0 (slot 0 itself
 * while the archive is empty), overwriting whatever lap was there.
 */
export function writeWhisperPoint(buf: Buffer, header: WhisperHeader, index: number, timestamp: number, value: number): void {
  const a = header.archives[index];
  const t = timestamp - (timestamp % a.secondsPerPoint);
  const base = buf.readUInt32BE(a.offset);
  let slot = 0;
  if (base !== 0) {
    const d = Math.floor((t - base) / a.secondsPerPoint);
    slot = ((d % a.points) + a.points) % a.points;
  }
  const at = a.offset + slot * POINT_SIZE;
  buf.writeUInt32BE(t, at);
  buf.writeDoubleBE(value, at + 4);
}
