import { closeSync, fdatasync, fdatasyncSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, unlinkSync, writeFileSync, writeSync, writevSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { Interval, StagedNames, WriteBatch } from "../../timeseries/index.js";
import type { Logger } from "../../logging/logger.js";
import { decodeSpoolPayloadForWrite, encodeSpoolPayload, openSpoolPayload, type SpoolPayload } from "./spool-codec.js";
import { nextFlushId } from "../pipeline/flush-ids.js";
import { frameRecord, recordAt, type ReadAt } from "./spool-record.js";

export interface SpoolOptions {
  /** This store's spool directory (karbon uses `SPOOL_DIR/<store key>`); a slot under it is claimed per process. */
  dir: string;
  /** Most bytes on disk (`SPOOL_MAX_MB`); an append past it is refused and the batch stays in memory. */
  maxBytes: number;
  /** A segment is closed and a new one started past this size; replayed segments are deleted whole. */
  segmentBytes?: number;
  /** Milliseconds between `fdatasync`s of the segment being written (a machine crash loses at most this much). */
  syncIntervalMs?: number;
  logger: Logger;
}

/** What the spool holds and has done, for metrics. */
export interface SpoolStats {
  /** Bytes of segment files on disk. */
  bytes: number;
  /** Records not yet replayed. */
  records: number;
  appendedRecords: number;
  appendedPoints: number;
  replayedRecords: number;
  replayedPoints: number;
  /** Appends refused because the spool was full. */
  refused: number;
  /** Records found torn (a crash mid-append) or corrupt, dropped unreplayed. */
  torn: number;
}

interface Segment {
  readonly seq: number;
  readonly path: string;
  /** Where the valid records end (a torn tail found when opening is left out). */
  size: number;
  /** On-disk size, for the byte count. */
  fileBytes: number;
  /** Next byte to replay; persisted in the segment's `.ack` file once what is before it is stored. */
  readPos: number;
  readFd: number | null;
}

/** The records a batch from `next` holds: where they start and end in their segment, their points and count. */
interface Handed {
  readonly segment: Segment;
  readonly start: number;
  next: number;
  points: number;
  records: number;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const SEGMENT = /^(\d{12})\.seg$/;
/** Lock files this process holds: two spools in one process must not share a slot either. */
const claimed = new Set<string>();

/**
 * One store's disk spool: an append-only sequence of checksummed segment
 * files, each a run of records (one WriteBatch each, with its flush id),
 * replayed oldest first. Appends are synchronous writes, so a record is in
 * the page cache (safe from `kill -9`) before `append` returns, and a
 * timer `fdatasync`s it for a machine crash. Replay is at most once per
 * record per process; a record handed out and not acked before a crash is
 * replayed again after the restart, under the same flush id, which a store
 * that records ids applies once.
 *
 * Layout: `dir/<slot>/` (slot = first one no live process holds: each
 * `--workers` worker gets its own), `lock` (the holder's pid),
 * `000000000001.seg`, `000000000001.ack` (12 bytes: replayed offset, CRC).
 */
export class StoreSpool {
  readonly path: string;
  private readonly segments: Segment[] = [];
  private writeFd: number | null = null;
  private nextSeq = 1;
  private dirty = false;
  private readonly syncTimer: NodeJS.Timeout;
  private readonly segmentBytes: number;
  private readonly intervals = new Map<string, Interval>();
  /** The record handed out by `next` and not yet acked: its segment and where it ends. */
  private out: Handed | null = null;
  private readonly lockPath: string;
  /** What `next` hands out after the batch handed out, read and decoded while the store writes that one (see `prefetch`). */
  private ahead: { batch: WriteBatch; out: Handed; maxRows: number } | null = null;
  /** The row bound of the last `next`, for `prefetch`. */
  private lastMaxRows = 0;
  private closed = false;
  readonly stats: SpoolStats = { bytes: 0, records: 0, appendedRecords: 0, appendedPoints: 0, replayedRecords: 0, replayedPoints: 0, refused: 0, torn: 0 };

  constructor(private readonly options: SpoolOptions) {
    this.segmentBytes = options.segmentBytes ?? Math.max(1024 * 1024, Math.min(DEFAULT_SEGMENT_BYTES, Math.floor(options.maxBytes / 8)));
    const { path, lock } = claimSlot(options.dir);
    this.path = path;
    this.lockPath = lock;
    this.scan();
    this.syncTimer = setInterval(() => this.sync(), options.syncIntervalMs ?? 1000);
    this.syncTimer.unref();
  }

  /** Records waiting to be replayed (not counting one handed out by `next`). */
  get unread(): number {
    return this.closed ? 0 : this.stats.records;
  }

  /** True while anything is spooled: a record to replay, or one handed out and not yet acked. */
  get holding(): boolean {
    return this.stats.records > 0 || this.out !== null;
  }

  /**
   * Append a batch (giving it a flush id if it has none). False when the
   * spool is full: the caller keeps the batch.
   */
  append(batch: WriteBatch): boolean {
    if (this.closed) return false;
    // Every row takes at least 8 bytes: a spool that cannot take that much refuses before spending an encoding on it.
    if (this.stats.bytes + batch.size * 8 > this.options.maxBytes) {
      this.stats.refused++;
      return false;
    }
    // The write buffer ids a batch when it queues it; one spooled some other way gets its id here, kept on replay.
    batch.flushId ??= nextFlushId();
    const record = frameRecord(encodeSpoolPayload(batch));
    if (this.stats.bytes + record.length > this.options.maxBytes) {
      this.stats.refused++;
      return false;
    }
    let seg = this.segments.at(-1);
    if (this.writeFd === null || !seg || seg.size >= this.segmentBytes) seg = this.roll();
    writeAll(this.writeFd!, record.pieces, seg.size);
    seg.size += record.length;
    seg.fileBytes += record.length;
    this.stats.bytes += record.length;
    this.stats.records++;
    this.stats.appendedRecords++;
    this.stats.appendedPoints += batch.points;
    this.dirty = true;
    return true;
  }

  /**
   * The oldest unreplayed batch, or null. With `maxRows`, the records after
   * it in the same segment are merged in while the batch stays within that
   * many rows (and they share its flush home, see `flushHome`): one write
   * for many small records, bounded as the write buffer bounds a flush. A
   * record alone comes decoded for writing only (nothing merges into it).
   * A merged batch carries every record's id in `flushIds` (no `flushId`)
   * and its names in `flushNames`; `separate` gives its records one by one.
   * Call `ack` once it is stored before asking for the next; asking again
   * without an ack hands the same records out again.
   */
  next(maxRows = 0): WriteBatch | null {
    this.out = null;
    this.lastMaxRows = maxRows;
    if (this.closed) return null;
    for (const seg of this.segments) {
      while (seg.readPos < seg.size) {
        const ahead = this.ahead;
        this.ahead = null;
        let taken: { batch: WriteBatch; out: Handed } | null = null;
        if (ahead && ahead.out.segment === seg && ahead.out.start === seg.readPos && ahead.maxRows === maxRows) taken = ahead;
        else {
          const r = recordAt(this.reader(seg), seg.readPos, seg.size);
          if (r.kind === "record") {
            try {
              taken = this.take(seg, seg.readPos, r.payload, r.next, maxRows);
            } catch (err) {
              // Its checksum holds, so a bug or a foreign file: never replay it, count it with the torn ones.
              this.options.logger.error({ spool: this.path, segment: seg.path, at: seg.readPos, err: (err as Error).message }, "spool record does not decode; dropping it");
              this.stats.torn++;
              this.stats.records--;
            }
          }
          if (!taken) {
            // A corrupt record or a torn tail was counted when the spool was opened.
            seg.readPos = r.kind === "record" || r.kind === "corrupt" ? r.next : seg.size;
            this.persistAck(seg);
            continue;
          }
        }
        this.out = taken.out;
        setImmediate(() => this.prefetch());
        return taken.batch;
      }
    }
    this.reclaim();
    return null;
  }

  /**
   * The batch for the record at `at` (its payload, and where the next
   * record starts): with `maxRows`, the records after it merged in (see
   * `mergeFollowing`), else the record alone, decoded for writing only.
   * Throws when that record does not decode.
   */
  private take(seg: Segment, at: number, payload: Uint8Array, next: number, maxRows: number): { batch: WriteBatch; out: Handed } {
    const first = openSpoolPayload(payload);
    const out: Handed = { segment: seg, start: at, next, points: 0, records: 1 };
    const batch = (maxRows > 0 ? this.mergeFollowing(first, out, maxRows) : null) ?? first.decodeForWrite(this.intervals);
    out.points = batch.points;
    return { batch, out };
  }

  /**
   * The first record with the whole, decodable records after it merged in
   * while the merged batch stays within `maxRows` rows and each has a flush
   * id and the first's flush home; null when none merges (the first then
   * goes alone, decoded for writing only, which is cheaper).
   */
  private mergeFollowing(first: SpoolPayload, out: Handed, maxRows: number): WriteBatch | null {
    if (first.flushId === undefined) return null;
    const ids = [first.flushId];
    const staged: StagedNames[][] = [first.staged];
    const seg = out.segment;
    const read = this.reader(seg);
    let merged: WriteBatch | null = null;
    let at = out.next;
    while (at < seg.size) {
      const r = recordAt(read, at, seg.size);
      if (r.kind !== "record") break;
      let payload;
      try {
        payload = openSpoolPayload(r.payload);
      } catch {
        break; // `next` meets it on its own, and logs and drops it
      }
      // Within the bound, as a flush is: records past half of it are written alone, not doubled.
      if (payload.flushId === undefined || payload.home !== first.home || (merged?.size ?? first.rows) + payload.rows > maxRows) break;
      // The first's own failure to decode is its own (`next` drops it); a later record's leaves the first to go alone.
      merged ??= first.decode(this.intervals);
      try {
        payload.decode(this.intervals, merged);
      } catch {
        return null; // half merged: dropped; `next` meets this record on its own, and logs and drops it
      }
      ids.push(payload.flushId);
      staged.push(payload.staged);
      at = r.next;
    }
    if (merged === null) return null;
    out.next = at;
    out.records = ids.length;
    merged.flushId = undefined;
    merged.flushIds = ids;
    merged.flushNames = staged;
    return merged;
  }

  /**
   * The records of the batch `next` handed out, one batch each under its
   * own flush id, oldest first: for a store that found some of them
   * applied already (in other groupings) or refused the merged batch.
   * Ack once all are stored.
   */
  separate(): WriteBatch[] {
    const out = this.out;
    if (!out || this.closed) return [];
    const read = this.reader(out.segment);
    const batches: WriteBatch[] = [];
    for (let at = out.start; at < out.next; ) {
      const r = recordAt(read, at, out.segment.size);
      // Every record of the range decoded a moment ago when it was merged.
      if (r.kind !== "record") throw new Error(`spool ${this.path}: record at ${at} of ${out.segment.path} no longer reads`);
      batches.push(decodeSpoolPayloadForWrite(r.payload, this.intervals));
      at = r.next;
    }
    return batches;
  }

  /**
   * Read and decode what `next` will hand out after the batch handed out
   * (with the same row bound, records after it in the same segment merged
   * as `next` would), if it starts with a whole record in the same segment:
   * done while the store writes the batch handed out, so a replay runs at
   * the store's pace. Records appended meanwhile merge in the next time
   * round instead.
   */
  private prefetch(): void {
    const out = this.out;
    if (this.closed || !out || this.ahead || out.next >= out.segment.size) return;
    const seg = out.segment;
    const r = recordAt(this.reader(seg), out.next, seg.size);
    if (r.kind !== "record") return;
    const maxRows = this.lastMaxRows;
    try {
      const taken = this.take(seg, out.next, r.payload, r.next, maxRows);
      this.ahead = { ...taken, maxRows };
    } catch {
      // `next` meets it again, and logs and drops it
    }
  }

  /** The record `next` handed out is stored: never replay it again. */
  ack(): void {
    const out = this.out;
    if (!out || this.closed) return;
    this.out = null;
    out.segment.readPos = out.next;
    this.persistAck(out.segment);
    this.stats.records -= out.records;
    this.stats.replayedRecords += out.records;
    this.stats.replayedPoints += out.points;
    this.reclaim();
  }

  /** Stop: flush to disk and release the slot (what is spooled stays for the next start). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ahead = null;
    clearInterval(this.syncTimer);
    if (this.writeFd !== null) {
      try {
        fdatasync(this.writeFd, () => {});
      } catch {
        // best effort: the data is in the page cache either way
      }
      closeSync(this.writeFd);
      this.writeFd = null;
    }
    for (const seg of this.segments) this.closeRead(seg);
    try {
      unlinkSync(this.lockPath);
    } catch {
      // already gone
    }
    claimed.delete(this.lockPath);
  }

  private sync(): void {
    if (!this.dirty || this.writeFd === null) return;
    this.dirty = false;
    fdatasync(this.writeFd, (err) => {
      if (err) this.options.logger.warn({ spool: this.path, err: err.message }, "spool fdatasync failed");
    });
  }

  /** Start a new segment for appends (the previous one stays to be replayed). */
  private roll(): Segment {
    if (this.writeFd !== null) {
      fdatasyncSync(this.writeFd); // a finished segment is on disk before the next one starts
      closeSync(this.writeFd);
    }
    const seq = this.nextSeq++;
    const path = join(this.path, `${String(seq).padStart(12, "0")}.seg`);
    this.writeFd = openSync(path, "w");
    const seg: Segment = { seq, path, size: 0, fileBytes: 0, readPos: 0, readFd: null };
    this.segments.push(seg);
    return seg;
  }

  /** Delete segments replayed to their end, except the one being appended to while it can still grow. */
  private reclaim(): void {
    while (this.segments.length > 0) {
      const seg = this.segments[0];
      if (seg.readPos < seg.size) return;
      const active = this.writeFd !== null && seg === this.segments.at(-1);
      if (active) {
        closeSync(this.writeFd!);
        this.writeFd = null;
      }
      this.closeRead(seg);
      for (const p of [seg.path, ackPath(seg.path)]) {
        try {
          unlinkSync(p);
        } catch {
          // already gone
        }
      }
      this.stats.bytes -= seg.fileBytes;
      this.segments.shift();
    }
  }

  private reader(seg: Segment): ReadAt {
    if (seg.readFd === null) seg.readFd = openSync(seg.path, "r");
    const fd = seg.readFd;
    return (position, length) => {
      const buf = Buffer.allocUnsafeSlow(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buf, got, length - got, position + got);
        if (n === 0) break;
        got += n;
      }
      return got === length ? buf : buf.subarray(0, got);
    };
  }

  private closeRead(seg: Segment): void {
    if (seg.readFd !== null) closeSync(seg.readFd);
    seg.readFd = null;
  }

  private persistAck(seg: Segment): void {
    const b = Buffer.alloc(12);
    b.writeDoubleLE(seg.readPos, 0);
    b.writeUInt32LE(crc32(b.subarray(0, 8)), 8);
    writeFileSync(ackPath(seg.path), b);
  }

  /** Find the segments left by an earlier run: where each was replayed to, how many records remain, and any torn tail. */
  private scan(): void {
    const names = readdirSync(this.path)
      .map((n) => SEGMENT.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ seq: Number(m[1]), name: m[0] }))
      .sort((a, b) => a.seq - b.seq);
    for (const { seq, name } of names) {
      const path = join(this.path, name);
      const fd = openSync(path, "r");
      const fileBytes = fstatSync(fd).size;
      closeSync(fd);
      const seg: Segment = { seq, path, size: fileBytes, fileBytes, readPos: Math.min(fileBytes, readAck(path)), readFd: null };
      const read = this.reader(seg);
      for (let at = seg.readPos; ; ) {
        const r = recordAt(read, at, fileBytes);
        if (r.kind === "end") break;
        if (r.kind === "torn") {
          this.stats.torn++;
          seg.size = at;
          this.options.logger.warn({ spool: this.path, segment: path, at, dropped: fileBytes - at }, "spool segment ends in a torn record (a crash while writing it); dropping the tail");
          break;
        }
        if (r.kind === "corrupt") {
          this.stats.torn++;
          this.options.logger.warn({ spool: this.path, segment: path, at }, "spool record fails its checksum; dropping it");
        } else this.stats.records++;
        at = r.next;
      }
      this.closeRead(seg);
      this.segments.push(seg);
      this.stats.bytes += fileBytes;
      this.nextSeq = seq + 1;
    }
    this.reclaim();
  }
}

function ackPath(segPath: string): string {
  return segPath.replace(/\.seg$/, ".ack");
}

/** The replayed offset of a segment, 0 when there is no (or a damaged) ack file: replay from the start, flush ids make that safe. */
function readAck(segPath: string): number {
  try {
    const b = readFileSync(ackPath(segPath));
    if (b.length !== 12 || crc32(b.subarray(0, 8)) !== b.readUInt32LE(8)) return 0;
    const n = b.readDoubleLE(0);
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

/** Write the pieces at `position`, one writev when the kernel takes it all (it nearly always does). */
function writeAll(fd: number, pieces: Uint8Array[], position: number): void {
  let done = writevSync(fd, pieces, position);
  let offset = 0;
  for (const p of pieces) {
    if (done >= offset + p.length) {
      offset += p.length;
      continue;
    }
    for (let from = Math.max(0, done - offset); from < p.length; ) {
      const n = writeSync(fd, p, from, p.length - from, position + offset + from);
      from += n;
    }
    offset += p.length;
    done = offset;
  }
}

/** The first slot under `dir` no live process holds; claims it with a lock file naming this pid. */
function claimSlot(dir: string): { path: string; lock: string } {
  for (let slot = 0; ; slot++) {
    const path = join(dir, String(slot));
    mkdirSync(path, { recursive: true });
    const lock = join(path, "lock");
    if (claimed.has(lock)) continue;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(lock, "wx");
        writeSync(fd, `${process.pid} ${startTime(process.pid) ?? ""}\n`);
        closeSync(fd);
        claimed.add(lock);
        return { path, lock };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        if (holderAlive(lock)) break;
        try {
          unlinkSync(lock); // left by a process that died (kill -9): the slot is free
        } catch {
          // another process took it first
        }
      }
    }
  }
}

/**
 * Whether the process a lock names still runs. The lock holds the pid and,
 * on Linux, the process's start time: a pid reused by another process
 * after a `kill -9` must not keep the slot (and its spool) from being
 * taken over.
 */
function holderAlive(lock: string): boolean {
  let pid: number;
  let started: string | undefined;
  try {
    const [p, s] = readFileSync(lock, "utf8").trim().split(" ");
    pid = Number.parseInt(p, 10);
    started = s || undefined;
  } catch {
    return false;
  }
  // Our own pid in a lock we did not take: a restarted container reuses pids; the old holder is gone.
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const now = startTime(pid);
  return started === undefined || now === null || now === started;
}

/** A process's start time (clock ticks since boot, /proc/PID/stat field 22), null where /proc cannot say. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}
