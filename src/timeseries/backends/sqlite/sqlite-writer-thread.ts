import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { batchForThread } from "./batch-transfer.js";
import { FlushOverlapError, StoreError } from "../../errors.js";
import type { WriteBatch } from "../../write-batch.js";
import { redactUrl } from "../url.js";

/**
 * The thread's young generation, in MiB. What it allocates per batch is
 * short-lived (statement arguments, a batch's arrays): left to V8's
 * default the young generation grows to 16 MiB semi-spaces and keeps them,
 * tens of MB of RSS per store file. Much smaller (3) made the thread
 * promote a batch's garbage and spend ~15% more CPU at 1M names.
 */
export const WRITER_YOUNG_GENERATION_MB = 8;

/**
 * The worker thread that applies this store's batches (see
 * sqlite-writer-worker.ts). Started with the store (`warm`), so the first
 * flush does not wait for the thread to load its modules and open the file;
 * one batch at a time, in order.
 */
export class WriterThread {
  private worker: Worker | null = null;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(
    private readonly url: string,
    private readonly clientConfig: Record<string, unknown>,
  ) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    // From dist the worker is plain .js. From source (tests, tsx) it is a .ts file, loaded through tsx's API
    // in a small bootstrap, since loader hooks of the parent do not reach a worker's entry point.
    const workerData = { url: this.url, clientConfig: this.clientConfig };
    const resourceLimits = { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB };
    const fromSource = import.meta.url.endsWith(".ts");
    const entry = new URL(`./sqlite-writer-worker.${fromSource ? "ts" : "js"}`, import.meta.url);
    const worker = fromSource
      ? new Worker(
          `import(${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href)})` +
            `.then((api) => api.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)}))`,
          { eval: true, workerData, resourceLimits },
        )
      : new Worker(entry, { workerData, resourceLimits });
    worker.unref();
    worker.on("message", (m: { id: number; ok: boolean; message?: string; retryable?: boolean; overlap?: [number, number] }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve();
      else if (m.overlap) w.reject(new FlushOverlapError(redactUrl(this.url), m.overlap[0], m.overlap[1]));
      else w.reject(new StoreError(redactUrl(this.url), m.message ?? "write failed", { retryable: m.retryable ?? true }));
    });
    const fail = (err: Error) => {
      for (const w of this.waiting.values()) w.reject(new StoreError(redactUrl(this.url), `writer thread failed: ${err.message}`, { retryable: true, cause: err }));
      this.waiting.clear();
      this.worker = null;
    };
    worker.on("error", fail);
    worker.on("exit", (code) => code !== 0 && fail(new Error(`exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** Start the thread now rather than at the first write. */
  warm(): void {
    this.start();
  }

  write(batch: WriteBatch, url: string): Promise<void> {
    let encoded;
    try {
      encoded = batchForThread(batch);
    } catch (err) {
      return Promise.reject(new StoreError(url, `write failed: ${(err as Error).message}`, { retryable: false, cause: err }));
    }
    const id = this.next++;
    const worker = this.start();
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, batch: encoded.message }, encoded.transfer);
    }).finally(() => {
      if (this.waiting.size === 0) this.worker?.unref();
    });
  }

  forget(): void {
    this.worker?.postMessage({ id: 0, forget: true });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const id = this.next++;
    // A pending reply must keep the process alive (the worker is otherwise unref'd).
    worker.ref();
    await new Promise<void>((resolve) => {
      this.waiting.set(id, { resolve, reject: () => resolve() });
      worker.postMessage({ id, close: true });
    });
    await worker.terminate();
    this.worker = null;
  }
}
