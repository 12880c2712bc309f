import { StoreError, WriteBatch, type Store } from "../../timeseries/index.js";
import type { Logger } from "../../logging/logger.js";
import type { IngestLog } from "./ingest-log.js";
import type { KarbonMetrics } from "../karbon-metrics.js";
import { nextFlushId } from "./flush-ids.js";

export interface WriteBufferOptions {
  /** Milliseconds between flushes; 0 writes through (one flush per received chunk). */
  flushInterval: number;
  /** Rows at which sockets are paused until the buffer drains (backpressure). */
  maxRows: number;
  /**
   * Rows at which a flush starts early, without waiting for the batch's age.
   * Only there to bound how long one write takes (and the batch's memory):
   * the bigger a batch, the more points merge into one row.
   */
  flushRows?: number;
  /** Milliseconds without a received chunk after which the batch is flushed (the end of a burst). Default 10. */
  quietMs?: number;
  log: IngestLog;
  logger: Logger;
  metrics?: KarbonMetrics;
  /** Called when the buffer crosses `maxRows` (pause reading) and when it drains below half (resume). */
  onPressure?: (full: boolean) => void;
  /** Called when the current batch is handed over to be written (a flush boundary). */
  onFlush?: () => void;
  /** Called once per name whose rows a store refused for good (after they are counted and logged). */
  onReject?: (name: string, reason: string, message: string) => void;
  /** Where batches go while the store stays down or the buffer is past half full (see {@link BatchSpool}). */
  spool?: BatchSpool;
  /** Milliseconds a store must have been failing before its batches are spooled (`SPOOL_AFTER`). */
  spoolAfterMs?: number;
}

/**
 * A disk spool of batches (src/ingest/spool): appended to in arrival order,
 * replayed oldest first, one record at a time, each acked once stored.
 */
export interface BatchSpool {
  /** Records not yet handed out for replay. */
  readonly unread: number;
  /** Append a batch; false when the spool is full (the caller keeps it). */
  append(batch: WriteBatch): boolean;
  /**
   * The oldest unreplayed batch (the same one again until it is acked), or
   * null; with `maxRows`, the records after it merged in up to that many
   * rows, their ids in `flushIds` (for a store that takes merged flushes).
   */
  next(maxRows?: number): WriteBatch | null;
  /** The records of the batch `next` gave, one batch each: a store found some applied already, or refused the merged batch. */
  separate(): WriteBatch[];
  /** The batch `next` gave is stored. */
  ack(): void;
}

/** A row a store refused for good during a flush. */
export interface Refusal {
  readonly name: string;
  readonly reason: string;
  readonly message: string;
}

/** What a flush did: everything queued stored (`ok`), and the rows the store refused on the way. */
export interface FlushOutcome {
  readonly ok: boolean;
  readonly refused: readonly Refusal[];
}

const NOT_WRITTEN: FlushOutcome = { ok: false, refused: [] };
const NOTHING_QUEUED: FlushOutcome = { ok: true, refused: [] };

const MAX_BACKOFF_MS = 10_000;
/** Input quiet this long ends a burst: its last batch is written then, not at the batch's full age. */
const QUIET_MS = 10;
/**
 * The default early-flush bound in rows: about half a second of SQLite
 * upserts. Smaller bounds cost merging (on the statsd load 100,000-row
 * batches stored 1.6 rows per line against 0.7 for whole bursts).
 */
export const FLUSH_ROWS = 400_000;
/** Names logged one by one while isolating the refused rows of one flush. */
const LOGGED_PER_FLUSH = 100;

/**
 * The `karbon_rejected_rows_total` reason for a store's refusal, from the
 * words drivers use: a number out of range, text too long, text the
 * server cannot hold (an invalid byte sequence, a NUL), or anything else.
 */
export function rejectionReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  if (/out of range|overflow|not a finite number/i.test(text) || /\b(NaN|Infinity)\b/.test(text)) return "out_of_range";
  if (/too long|right truncation|too large|too big/i.test(text)) return "too_long";
  if (/invalid byte sequence|0x00|null character|incorrect string value|encoding/i.test(text)) return "bad_text";
  return "refused";
}

/**
 * The per-store write buffer. Points are merged into `batch` (same bucket,
 * one cell); a flush hands the batch to the store in one transaction. A
 * flush that fails retryably (store down, locked, a deadlock) keeps its
 * batch and retries with backoff, ahead of newer ones: nothing accepted is
 * dropped, and arrival order is kept for series. A flush the store refuses
 * for good (its verdict on the data: a sum out of range, a name it cannot
 * hold) is split in halves, and halves again, until the refused rows stand
 * alone; those are counted, logged and dropped, the rest is written. A
 * store applies a batch whole or not at all, so no row is written twice.
 *
 * Each queued batch gets a flush id before its first attempt, kept across
 * retries: a write whose outcome was lost (a connection dropped during
 * COMMIT, a reply lost after the script ran) is retried, and the store,
 * finding the id recorded, applies nothing the second time.
 */
export class WriteBuffer {
  /** Where routing stages points. Replaced by a fresh batch at each flush. */
  batch = new WriteBatch();
  readonly store: Store;
  private queue: WriteBatch[] = [];
  private queuedRows = 0;
  private writing: Promise<FlushOutcome> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Fires when the current batch reaches the flush interval's age (armed by the chunk that first staged into it). */
  private ageTimer: NodeJS.Timeout | null = null;
  /** Fires once input has been quiet for `quietMs`. */
  private quietTimer: NodeJS.Timeout | null = null;
  private readonly quietMs: number;
  /** When the last chunk arrived and the last write ended (ms, monotonic). */
  private lastChunk = 0;
  private lastWrite = 0;
  /** The batch came due while a write was running: write it as soon as that one ends, merging meanwhile. */
  private due = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoff = 0;
  private pressured = false;
  private closed = false;
  private readonly flushRows: number;
  /** Batches made by splitting a refused one → the names already logged while isolating its rows (each is logged once). */
  private readonly halves = new WeakMap<WriteBatch, Set<string>>();
  /** Since when (ms) flushes have been failing retryably; null while the store takes them. */
  private failingSince: number | null = null;
  /** Batches taken from the spool for replay (and their halves); they sit at the head of the queue. */
  private readonly replayed = new WeakSet<WriteBatch>();
  /** Batches of the spool record being replayed still in the queue: at 0 the record is acked. */
  private replayOpen = 0;

  constructor(
    store: Store,
    private readonly options: WriteBufferOptions,
  ) {
    this.store = store;
    this.flushRows = options.flushRows ?? Math.min(FLUSH_ROWS, Math.max(1_000, Math.floor(options.maxRows / 4)));
    this.quietMs = options.quietMs ?? QUIET_MS;
    options.metrics?.watchBuffer(store.url, () => this.rows);
  }

  /** Rows accepted and not yet in the store. */
  get rows(): number {
    return this.batch.size + this.queuedRows;
  }

  /** Points accepted and not yet in the store. */
  get points(): number {
    return this.batch.points + this.queue.reduce((s, b) => s + b.points, 0);
  }

  start(): void {
    if (this.options.flushInterval > 0 && !this.timer) {
      // A backstop for points staged without a chunk behind them: chunks arm the age and quiet timers.
      this.timer = setInterval(() => {
        if (!this.ageTimer && !this.writing) this.comeDue();
      }, this.options.flushInterval);
      this.timer.unref();
    }
    // What an earlier run spooled is replayed now, before anything newer.
    if (this.options.spool && this.options.spool.unread > 0) void this.flush();
  }

  /**
   * After each received chunk: flush early when big (or always, writing
   * through), arm the batch's age and quiet timers, and signal backpressure.
   */
  afterChunk(): void {
    const rows = this.rows;
    const interval = this.options.flushInterval;
    if (interval === 0 || this.batch.size >= this.flushRows) void this.flush();
    else if (!this.batch.empty && !this.closed) {
      this.lastChunk = performance.now();
      // While a write runs the batch's age counts from its end (see `armAge`).
      if (!this.ageTimer && !this.writing) this.armAge();
      if (this.quietTimer) this.quietTimer.refresh();
      else {
        this.quietTimer = setTimeout(() => this.onQuiet(), this.quietMs);
        this.quietTimer.unref();
      }
    }
    this.pressure(rows);
  }

  /**
   * Write the batch when it is the flush interval old. A batch that began
   * while a write ran is aged from that write's end, as it is when the write
   * holds this thread (SQLite in process): with the write elsewhere (a writer
   * thread, a server), aging it from its first point made batches smaller
   * the slower the store, up to twice the flushes and rows of a coarse
   * interval written again each time (on the statsd load 1.23 rows a line
   * instead of 0.93).
   */
  private armAge(): void {
    this.ageTimer = setTimeout(() => {
      this.ageTimer = null;
      this.comeDue();
    }, this.options.flushInterval);
    this.ageTimer.unref();
  }

  /**
   * The quiet timer fired. That alone says little: a long write on this
   * thread, or the process waiting for a core on a busy machine, holds back
   * the timer and the chunks queued behind it alike, and timers run before
   * sockets are read. So look once more after the event loop has read what
   * is waiting (`setImmediate` runs after that poll), and again later if a
   * write just ended.
   */
  private onQuiet(): void {
    this.quietTimer = null;
    setImmediate(() => {
      if (this.quietTimer || this.closed) return;
      const now = performance.now();
      const since = Math.min(now - this.lastChunk, now - this.lastWrite);
      if (since < this.quietMs) {
        this.quietTimer = setTimeout(() => this.onQuiet(), this.quietMs - since);
        this.quietTimer.unref();
        return;
      }
      this.comeDue();
    });
  }

  /** The batch is due (old enough, or input went quiet): write it now, or as soon as the running write ends. */
  private comeDue(): void {
    if (this.batch.empty) return;
    if (this.writing) this.due = true;
    else void this.flush();
  }

  private pressure(rows: number): void {
    if (!this.pressured && rows >= this.options.maxRows) {
      this.pressured = true;
      this.options.logger.warn({ store: this.store.url, rows }, "write buffer full: pausing input until the store catches up");
      this.options.onPressure?.(true);
    } else if (this.pressured && rows < this.options.maxRows / 2) {
      this.pressured = false;
      this.options.logger.info({ store: this.store.url, rows }, "write buffer drained: resuming input");
      this.options.onPressure?.(false);
    }
  }

  get full(): boolean {
    return this.pressured;
  }

  /**
   * Move the current batch to the queue and write the queue, oldest first.
   * Never rejects: resolves true once everything queued is stored, false if
   * a write failed (a retry is then scheduled).
   */
  flush(): Promise<boolean> {
    return this.flushed().then((outcome) => outcome.ok);
  }

  /**
   * As `flush`, and also say which rows the store refused while writing what
   * was queued: a caller that staged rows before calling learns their fate
   * from the answer (`/insert`).
   */
  flushed(): Promise<FlushOutcome> {
    if (!this.batch.empty) {
      // An id given earlier (a batch read back from a spool) is kept: it may already be applied.
      this.batch.flushId ??= nextFlushId();
      this.queue.push(this.batch);
      this.queuedRows += this.batch.size;
      this.batch = new WriteBatch();
      this.options.onFlush?.();
    }
    if (this.writing) return this.writing;
    this.spoolQueued();
    if (this.retryTimer) return Promise.resolve(NOT_WRITTEN);
    if (this.queue.length === 0 && !this.options.spool?.unread) return Promise.resolve(NOTHING_QUEUED);
    if (this.ageTimer) {
      clearTimeout(this.ageTimer);
      this.ageTimer = null;
    }
    this.writing = this.drain().finally(() => {
      this.writing = null;
      this.lastWrite = performance.now();
      if (this.due) {
        this.due = false;
        this.comeDue();
      } else if (!this.batch.empty && !this.ageTimer && !this.closed && this.options.flushInterval > 0) this.armAge();
    });
    return this.writing;
  }

  private async drain(): Promise<FlushOutcome> {
    const refused: Refusal[] = [];
    for (;;) {
      this.spoolQueued(true);
      this.loadSpooled();
      if (this.queue.length === 0) break;
      const batch = this.queue[0];
      const started = process.hrtime.bigint();
      try {
        await this.store.write(batch);
      } catch (err) {
        // A merged replay the store cannot take as it is: its records one by one (each applied, or recognised, alone).
        if (batch.flushIds !== undefined && this.replayed.has(batch) && err instanceof StoreError && !err.retryable) {
          this.separate(batch, err);
          continue;
        }
        this.options.metrics?.flushFailures.inc({ store: this.store.url });
        if (err instanceof StoreError && !err.retryable) {
          this.isolate(batch, err, refused);
          continue;
        }
        this.failingSince ??= Date.now();
        this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff ? this.backoff * 2 : 100);
        const retryable = !(err instanceof StoreError) || err.retryable;
        this.options.logger.error(
          { store: this.store.url, rows: this.rows, retryInMs: this.backoff, retryable, err: (err as Error).message },
          "flush failed; keeping the data and retrying",
        );
        if (!this.closed) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            void this.flush();
          }, this.backoff);
        }
        return { ok: false, refused };
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (this.backoff) this.options.logger.info({ store: this.store.url }, "store is writable again");
      this.backoff = 0;
      this.failingSince = null;
      this.queue.shift();
      this.queuedRows -= batch.size;
      this.replayDone(batch);
      this.options.metrics?.flushSeconds.observe({ store: this.store.url }, seconds);
      this.options.metrics?.rowsWritten.inc({ store: this.store.url }, batch.size);
      this.options.log.done(batch.points, seconds, this.store.url);
      // Stored: its columns serve the next batch.
      batch.release();
      this.pressure(this.rows);
    }
    return { ok: true, refused };
  }

  /**
   * The store refused the head batch for good: replace it by its two
   * halves (written in order, so series keep arrival order), or, when it
   * is down to one row, reject it.
   */
  private isolate(batch: WriteBatch, err: StoreError, refused: Refusal[]): void {
    const halves = batch.split();
    let logged = this.halves.get(batch);
    if (!logged) {
      logged = new Set();
      this.options.logger.warn(
        { store: this.store.url, rows: batch.size, err: err.message },
        "store refused a flush; isolating the rows it refuses and writing the rest",
      );
    }
    if (halves) {
      for (const h of halves) this.halves.set(h, logged);
      const kept = halves.filter((h) => !h.empty);
      if (this.replayed.has(batch)) {
        for (const h of kept) this.replayed.add(h);
        this.replayOpen += kept.length - 1;
        if (kept.length === 0) this.replayDone(batch);
      }
      this.queue.splice(0, 1, ...kept);
      this.queuedRows += halves[0].size + halves[1].size - batch.size;
      return;
    }
    this.queue.shift();
    this.queuedRows -= batch.size;
    this.replayDone(batch);
    const reason = rejectionReason(err);
    this.options.metrics?.rejectedRows.inc({ store: this.store.url, reason }, Math.max(1, batch.size));
    for (const { ns, name } of batch.entries()) {
      if (logged.has(name)) continue;
      logged.add(name);
      refused.push({ name, reason, message: err.message });
      // A store that refuses everything (say, a table it cannot create) must not flood the log: the counter has the rest.
      if (logged.size === LOGGED_PER_FLUSH + 1) {
        this.options.logger.error({ store: this.store.url, reason, err: err.message }, `store refused rows of more than ${LOGGED_PER_FLUSH} names in one flush; not logging each`);
      }
      if (logged.size > LOGGED_PER_FLUSH) {
        this.options.onReject?.(name, reason, err.message);
        continue;
      }
      this.options.logger.error(
        { store: this.store.url, prefix: ns.prefix, type: ns.type, name: name.length > 200 ? `${name.slice(0, 200)}…` : name, reason, err: err.message },
        "store refused a row; dropped it",
      );
      this.options.onReject?.(name, reason, err.message);
    }
    this.pressure(this.rows);
  }

  /** Spool while the store has failed for `SPOOL_AFTER`, while the buffer is past half its bound, and while anything is spooled (order). */
  private spooling(): boolean {
    const spool = this.options.spool;
    if (!spool) return false;
    if (spool.unread > 0 || this.rows > this.options.maxRows / 2) return true;
    return this.failingSince !== null && Date.now() - this.failingSince >= (this.options.spoolAfterMs ?? 5_000);
  }

  /**
   * Move queued batches to the spool, oldest first, stopping at the first
   * it refuses (full): whatever stays queued is newer than all it holds,
   * so replaying the spool first keeps arrival order. Only between writes
   * (`betweenWrites`: the drain loop's own call; otherwise no drain may be
   * running): the head of the queue may be on its way to the store.
   * `force` spools whatever the conditions (shutdown).
   */
  private spoolQueued(betweenWrites = false, force = false): void {
    const spool = this.options.spool;
    if (!spool || (this.writing !== null && !betweenWrites) || !(force || this.spooling())) return;
    let at = 0;
    while (at < this.queue.length && this.replayed.has(this.queue[at])) at++;
    let moved = 0;
    while (at < this.queue.length) {
      const b = this.queue[at];
      if (!spool.append(b)) break;
      this.queue.splice(at, 1);
      this.queuedRows -= b.size;
      moved++;
    }
    if (moved > 0) this.pressure(this.rows);
  }

  /**
   * Put the oldest spooled records at the head of the queue when none is
   * being replayed: merged into one batch of about `flushRows` rows (as a
   * normal flush is bounded) for a store that records merged flushes, else
   * one record.
   */
  private loadSpooled(): void {
    const spool = this.options.spool;
    if (!spool || this.replayOpen > 0 || spool.unread === 0) return;
    const b = spool.next(this.store.mergedFlushes === true ? this.flushRows : 0);
    if (!b) return;
    this.replayed.add(b);
    this.replayOpen = 1;
    this.queue.unshift(b);
    this.queuedRows += b.size;
  }

  /** Replace the merged replay at the head of the queue by its records, to be written one by one (the last one written acks them all). */
  private separate(batch: WriteBatch, err: StoreError): void {
    const records = this.options.spool!.separate();
    this.options.logger.info({ store: this.store.url, records: records.length, err: err.message }, "replaying merged spool records one by one");
    for (const r of records) this.replayed.add(r);
    this.queue.splice(0, 1, ...records);
    this.queuedRows += records.reduce((n, r) => n + r.size, 0) - batch.size;
    this.replayOpen = records.length;
    if (records.length === 0) this.options.spool!.ack();
  }

  /** A batch of the spool record being replayed left the queue (stored, or refused for good): the last one acks it. */
  private replayDone(batch: WriteBatch): void {
    if (!this.replayed.has(batch)) return;
    if (--this.replayOpen === 0) this.options.spool!.ack();
  }

  /** Spool everything held in memory (but a record already in the spool); true if it all fit. */
  private spoolAll(): boolean {
    if (!this.batch.empty) {
      this.queue.push(this.batch);
      this.queuedRows += this.batch.size;
      this.batch = new WriteBatch();
    }
    this.spoolQueued(true, true);
    return this.queue.every((b) => this.replayed.has(b));
  }

  /**
   * Flush everything, retrying a failing store until `deadlineMs` passes.
   * Resolves to the number of points that could not be written (0 = all safe).
   */
  async close(deadlineMs = 30_000): Promise<number> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const t of [this.ageTimer, this.quietTimer]) if (t) clearTimeout(t);
    this.ageTimer = this.quietTimer = null;
    const until = Date.now() + deadlineMs;
    const spool = this.options.spool;
    for (;;) {
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
      }
      if ((await this.flush()) && this.queue.length === 0 && this.batch.empty) return 0;
      // A store still down at shutdown: what is held goes to the spool, for the next start to replay.
      if (spool && this.spoolAll()) return 0;
      if (Date.now() >= until) return this.points;
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
      }
      await new Promise((r) => setTimeout(r, Math.min(this.backoff || 100, Math.max(0, until - Date.now()))));
    }
  }
}
