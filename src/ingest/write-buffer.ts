import { StoreError, WriteBatch, type Store } from "../timeseries/index.js";
import type { Logger } from "../logging/logger.js";
import type { IngestLog } from "./ingest-log.js";
import type { KarbonMetrics } from "./karbon-metrics.js";

export interface WriteBufferOptions {
  /** Milliseconds between flushes; 0 writes through (one flush per received chunk). */
  flushInterval: number;
  /** Rows at which sockets are paused until the buffer drains (backpressure). */
  maxRows: number;
  /** Rows at which a flush starts early, without waiting for the timer. */
  flushRows?: number;
  log: IngestLog;
  logger: Logger;
  metrics?: KarbonMetrics;
  /** Called when the buffer crosses `maxRows` (pause reading) and when it drains below half (resume). */
  onPressure?: (full: boolean) => void;
}

const MAX_BACKOFF_MS = 10_000;

/**
 * The per-store write buffer. Points are merged into `batch` (same bucket,
 * one cell); a flush hands the batch to the store in one transaction. A
 * failed flush keeps its batch and retries with backoff, ahead of newer
 * ones: nothing accepted is dropped, and arrival order is kept for series.
 */
export class WriteBuffer {
  /** Where routing stages points. Replaced by a fresh batch at each flush. */
  batch = new WriteBatch();
  readonly store: Store;
  private queue: WriteBatch[] = [];
  private queuedRows = 0;
  private writing: Promise<boolean> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoff = 0;
  private pressured = false;
  private closed = false;
  private readonly flushRows: number;

  constructor(
    store: Store,
    private readonly options: WriteBufferOptions,
  ) {
    this.store = store;
    this.flushRows = options.flushRows ?? Math.min(100_000, Math.max(1_000, Math.floor(options.maxRows / 8)));
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
      this.timer = setInterval(() => void this.flush(), this.options.flushInterval);
      this.timer.unref();
    }
  }

  /** After each received chunk: flush early when big (or always, writing through), and signal backpressure. */
  afterChunk(): void {
    const rows = this.rows;
    if (this.options.flushInterval === 0 || this.batch.size >= this.flushRows) void this.flush();
    this.pressure(rows);
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
    if (!this.batch.empty) {
      this.queue.push(this.batch);
      this.queuedRows += this.batch.size;
      this.batch = new WriteBatch();
    }
    if (this.writing) return this.writing;
    if (this.retryTimer) return Promise.resolve(false);
    if (this.queue.length === 0) return Promise.resolve(true);
    this.writing = this.drain().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  private async drain(): Promise<boolean> {
    while (this.queue.length > 0) {
      const batch = this.queue[0];
      const started = process.hrtime.bigint();
      try {
        await this.store.write(batch);
      } catch (err) {
        this.options.metrics?.flushFailures.inc({ store: this.store.url });
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
        return false;
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (this.backoff) this.options.logger.info({ store: this.store.url }, "store is writable again");
      this.backoff = 0;
      this.queue.shift();
      this.queuedRows -= batch.size;
      this.options.metrics?.flushSeconds.observe({ store: this.store.url }, seconds);
      this.options.metrics?.rowsWritten.inc({ store: this.store.url }, batch.size);
      this.options.log.done(batch.points, seconds, this.store.url);
      this.pressure(this.rows);
    }
    return true;
  }

  /**
   * Flush everything, retrying a failing store until `deadlineMs` passes.
   * Resolves to the number of points that could not be written (0 = all safe).
   */
  async close(deadlineMs = 30_000): Promise<number> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const until = Date.now() + deadlineMs;
    for (;;) {
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
      }
      if ((await this.flush()) && this.queue.length === 0 && this.batch.empty) return 0;
      if (Date.now() >= until) return this.points;
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
      }
      await new Promise((r) => setTimeout(r, Math.min(this.backoff || 100, Math.max(0, until - Date.now()))));
    }
  }
}
