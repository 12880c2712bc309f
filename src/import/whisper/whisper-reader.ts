import {
  AGGREGATION_METHODS,
  ARCHIVE_INFO_SIZE,
  METADATA_SIZE,
  POINT_SIZE,
  WhisperFormatError,
  type AggregationMethod,
  type WhisperArchiveInfo,
  type WhisperHeader,
} from "./whisper-format.js";

/** Archives a header may declare: whisper files have a handful; more is a corrupt count. */
const MAX_ARCHIVES = 1024;

/**
 * The header of a whisper file held in `buf`, checked as whisper.py's
 * `__readHeader` checks it, plus what it leaves to chance: every archive
 * lies inside the file, past the header, without overlapping the next,
 * with steps and points above zero.
 */
export function readWhisperHeader(buf: Buffer): WhisperHeader {
  if (buf.length === 0) throw new WhisperFormatError("empty file");
  if (buf.length < METADATA_SIZE) throw new WhisperFormatError(`truncated header: ${buf.length} bytes, a whisper header needs ${METADATA_SIZE}`);
  const type = buf.readUInt32BE(0);
  const maxRetention = buf.readUInt32BE(4);
  const xFilesFactor = buf.readFloatBE(8);
  const count = buf.readUInt32BE(12);
  if (type < 1 || type >= AGGREGATION_METHODS.length) throw new WhisperFormatError(`unknown aggregation type ${type} (whisper knows 1-${AGGREGATION_METHODS.length - 1})`);
  if (!(xFilesFactor >= 0 && xFilesFactor <= 1)) throw new WhisperFormatError(`xFilesFactor ${xFilesFactor} is outside 0-1`);
  if (count === 0 || count > MAX_ARCHIVES) throw new WhisperFormatError(`archive count ${count} is not between 1 and ${MAX_ARCHIVES}`);
  const dataStart = METADATA_SIZE + count * ARCHIVE_INFO_SIZE;
  if (buf.length < dataStart) throw new WhisperFormatError(`truncated header: ${count} archives need ${dataStart} bytes, the file has ${buf.length}`);
  const archives: WhisperArchiveInfo[] = [];
  let end = dataStart;
  for (let i = 0; i < count; i++) {
    const at = METADATA_SIZE + i * ARCHIVE_INFO_SIZE;
    const offset = buf.readUInt32BE(at);
    const secondsPerPoint = buf.readUInt32BE(at + 4);
    const points = buf.readUInt32BE(at + 8);
    if (secondsPerPoint === 0 || points === 0) throw new WhisperFormatError(`archive ${i}: ${secondsPerPoint} seconds per point × ${points} points`);
    if (offset < end) throw new WhisperFormatError(`archive ${i}: offset ${offset} overlaps the header or archive ${i - 1} (ends at ${end})`);
    const size = points * POINT_SIZE;
    if (offset + size > buf.length) {
      throw new WhisperFormatError(`truncated: archive ${i} (${secondsPerPoint}s × ${points}) ends at byte ${offset + size}, the file has ${buf.length}`);
    }
    if (i > 0 && secondsPerPoint <= archives[i - 1].secondsPerPoint) {
      throw new WhisperFormatError(`archive ${i}: ${secondsPerPoint}s per point is not coarser than archive ${i - 1}'s ${archives[i - 1].secondsPerPoint}s`);
    }
    archives.push({ offset, secondsPerPoint, points });
    end = offset + size;
  }
  return { aggregationMethod: AGGREGATION_METHODS[type] as AggregationMethod, maxRetention, xFilesFactor, archives };
}

/** The valid points of one archive, oldest first: parallel arrays of timestamps and values. */
export interface ArchivePoints {
  readonly step: number;
  readonly times: number[];
  readonly values: number[];
}

/**
 * Newest timestamp any archive holds in a slot consistent with its ring
 * (aligned to the step from the archive's slot 0): the moment of the last
 * write, which plays the part of whisper-fetch's "now". 0 when every archive is empty.
 */
export function lastUpdate(buf: Buffer, header: WhisperHeader): number {
  let latest = 0;
  for (const a of header.archives) {
    const base = buf.readUInt32BE(a.offset);
    if (base === 0) continue;
    for (let i = 0, at = a.offset; i < a.points; i++, at += POINT_SIZE) {
      const t = buf.readUInt32BE(at);
      if (t > latest && t % a.secondsPerPoint === base % a.secondsPerPoint) latest = t;
    }
  }
  return latest;
}

/**
 * The points of `archive` as whisper.py's `__archive_fetch` returns them for
 * the archive's whole retention ending at `until` (whisper-fetch run at the
 * moment `until`): the window of `points` slots whose last is the step
 * holding `until`; slot j is expected to hold the one timestamp of that
 * window that maps to it from the archive's slot 0, and any other
 * timestamp there is stale data of an earlier lap (skipped, as whisper
 * reads it as None). NaN values are skipped too: whisper writes none.
 */
export function readArchive(buf: Buffer, archive: WhisperArchiveInfo, until: number): ArchivePoints {
  const step = archive.secondsPerPoint;
  const n = archive.points;
  const times: number[] = [];
  const values: number[] = [];
  const base = buf.readUInt32BE(archive.offset);
  if (base === 0 || until <= 0) return { step, times, values };
  // whisper.py: fromInterval = from - from % step + step with from = until - retention; n points from there.
  const from = until - (until % step) - (n - 1) * step;
  // Slot of `from`, with Python's floor modulo (the distance may be negative).
  const d = Math.floor((from - base) / step);
  let slot = ((d % n) + n) % n;
  let expected = from;
  for (let i = 0; i < n; i++, expected += step) {
    const at = archive.offset + slot * POINT_SIZE;
    if (buf.readUInt32BE(at) === expected) {
      const v = buf.readDoubleBE(at + 4);
      if (!Number.isNaN(v)) {
        times.push(expected);
        values.push(v);
      }
    }
    if (++slot === n) slot = 0;
  }
  return { step, times, values };
}
