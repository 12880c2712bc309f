/**
 * The thread that writes a SQLite store for karbon: batches arrive encoded
 * as columns (see batch-transfer.ts), are applied in one transaction, and the outcome is
 * posted back. Ingest keeps parsing and routing on the main thread meanwhile.
 */
import { parentPort, workerData } from "node:worker_threads";
import { batchFromThread, transferredBuffers, type TransferredBatch } from "./batch-transfer.js";
import type { Interval } from "../../intervals.js";
import { FlushOverlapError, StoreError } from "../../errors.js";
import { SqliteStore } from "./sqlite-store.js";

const { url, clientConfig } = workerData as { url: string; clientConfig: Record<string, unknown> };
const intervals = new Map<string, Interval>();
let store: SqliteStore | null = null;
let openError: unknown = null;
try {
  store = new SqliteStore(url, { ...clientConfig, writer_thread: false });
} catch (err) {
  openError = err;
}

parentPort!.on("message", async (msg: { id: number; batch?: TransferredBatch; close?: boolean; forget?: boolean }) => {
  if (msg.forget) {
    store?.forgetRanges();
    return;
  }
  if (msg.close) {
    await store?.close();
    parentPort!.postMessage({ id: msg.id, ok: true });
    return;
  }
  // Nothing of the batch is used once its outcome is known: its columns go back with the reply (see transferredBuffers).
  const buffers = transferredBuffers(msg.batch!);
  try {
    if (!store) throw openError;
    await store.write(batchFromThread(msg.batch!, intervals));
    parentPort!.postMessage({ id: msg.id, ok: true }, buffers);
  } catch (err) {
    const e = err as Error;
    const overlap = err instanceof FlushOverlapError ? [err.applied, err.of] : undefined;
    parentPort!.postMessage({ id: msg.id, ok: false, message: e?.message ?? String(err), retryable: err instanceof StoreError ? err.retryable : true, overlap }, buffers);
  }
});
