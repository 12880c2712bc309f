/**
 * Spool benchmark: what the disk spool costs per point. For batches staged
 * as karbon stages them (one flush's worth of points, merged), it times
 *
 * - append: encode, checksum and write a batch to a spool segment;
 * - read back: read, check and decode a record (replay without the store);
 * - store flush: the same batch written straight to a store, karbon's normal flush;
 * - replay: read back + the store write + ack, what a replay after an outage
 *   does: consecutive records merged into one write of at most the write
 *   buffer's flush bound in rows, for a store that takes merged flushes.
 *
 * Every write carries a fresh flush id, as karbon's do (a reused one would
 * be recognised and skipped). The store flush and the replay write the same
 * points to the same store, in alternating order from run to run.
 *
 *   npx tsx bench/spool.ts [--points 200000] [--names 20000] [--batches 10] [--runs 5] [--store sqlite|redis://...] [--only count|histogram|gauge] [--writer-thread]
 *
 * The spool and the SQLite file live in a temp directory on this machine's
 * disk (TMPDIR). A Redis URL benchmarks against that Redis (use a database
 * number of your own: the benchmark deletes what it wrote).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { openStore, Timeseries, WriteBatch, type Store } from "../src/timeseries/index.js";
import { StoreSpool } from "../src/ingest/spool/store-spool.js";
import { nextFlushId } from "../src/ingest/pipeline/flush-ids.js";
import { FLUSH_ROWS } from "../src/ingest/pipeline/write-buffer.js";
import { median, printTable } from "./bench-util.js";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const POINTS = Number(arg("points", "200000"));
const NAMES = Number(arg("names", "20000"));
const BATCHES = Number(arg("batches", "10"));
const RUNS = Number(arg("runs", "5"));
const STORE = arg("store", "sqlite");
const ONLY = arg("only", "");
// karbon writes SQLite on a writer thread per file (its default); the library, in process.
const WRITER_THREAD = process.argv.includes("--writer-thread");

const NOW = Math.floor(Date.now() / 1000);
const scenarios: Array<{ label: string; type: string; value: (i: number) => number }> = [
  { label: "count", type: "count", value: (i) => (i % 7) + 1 },
  { label: "histogram (timer values)", type: "histogram", value: (i) => 10 + (i % 90) },
  { label: "gauge", type: "gauge", value: (i) => i % 100 },
];

function batchOf(ts: Timeseries, value: (i: number) => number, seed: number): WriteBatch {
  const batch = new WriteBatch();
  for (let i = 0; i < POINTS; i++) ts.stage(batch, `bench.spool.app${i % 20}.n${i % NAMES}`, value(i + seed), NOW - 3000 + ((i * 7 + seed) % 3000));
  return batch;
}

const rate = (points: number, ms: number) => Math.round(points / (ms / 1000));
const dir = mkdtempSync(join(tmpdir(), "torus-bench-spool-"));
const logger = pino({ level: "silent" });
const rows: Array<Array<string | number>> = [];
try {
  for (const sc of scenarios) {
    if (ONLY !== "" && sc.type !== ONLY) continue;
    const url = STORE === "sqlite" ? `sqlite:///${join(dir, `${sc.type}.db`)}` : STORE;
    const store: Store = await openStore(url, STORE === "sqlite" && WRITER_THREAD ? { writer_thread: true } : {});
    const ts = new Timeseries(store, { type: sc.type, prefix: `bench_spool_${sc.type}`, intervals: { minute: { step: 60 }, hour: { step: "1h", resolution: 600 } }, clock: () => NOW });
    const batches = Array.from({ length: BATCHES }, (_, k) => batchOf(ts, sc.value, k));
    const points = batches.reduce((s, b) => s + b.points, 0);
    const rowsPerBatch = Math.round(batches.reduce((s, b) => s + b.size, 0) / BATCHES);
    let writes = 0;
    const results = { append: [] as number[], read: [] as number[], flush: [] as number[], replay: [] as number[], bytes: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      const spoolDir = join(dir, `spool-${sc.type}-${run}`);
      const spool = new StoreSpool({ dir: spoolDir, maxBytes: 64 * 1024 ** 3, logger });
      let t = performance.now();
      for (const b of batches) spool.append(b);
      results.append.push(rate(points, performance.now() - t));
      results.bytes.push(spool.stats.bytes / points);
      spool.close();

      // Read back from a reopened spool (as after a restart), without acking: the records stay for the replay below.
      const reader = new StoreSpool({ dir: spoolDir, maxBytes: 64 * 1024 ** 3, logger });
      t = performance.now();
      const back: WriteBatch[] = [];
      for (let i = 0; i < BATCHES; i++) {
        const b = reader.next()!;
        back.push(b);
        reader.ack();
      }
      results.read.push(rate(points, performance.now() - t));
      reader.close();

      const flush = async () => {
        const t0 = performance.now();
        for (const b of batches) {
          b.flushId = nextFlushId();
          await store.write(b);
        }
        results.flush.push(rate(points, performance.now() - t0));
      };
      // Spool again (fresh ids) and replay into the store: read, write, ack, as the write buffer does.
      const replay = async () => {
        const again = new StoreSpool({ dir: spoolDir, maxBytes: 64 * 1024 ** 3, logger });
        for (const b of batches) {
          b.flushId = nextFlushId();
          again.append(b);
        }
        const maxRows = store.mergedFlushes === true ? FLUSH_ROWS : 0;
        const t0 = performance.now();
        for (let b = again.next(maxRows); b; b = again.next(maxRows)) {
          writes++;
          await store.write(b);
          again.ack();
        }
        results.replay.push(rate(points, performance.now() - t0));
        again.close();
      };
      if (run % 2 === 0) {
        await flush();
        await replay();
      } else {
        await replay();
        await flush();
      }
      rmSync(spoolDir, { recursive: true, force: true });
    }
    const ratio = `${Math.round((100 * median(results.replay)) / median(results.flush))}%`;
    rows.push([sc.label, rowsPerBatch, median(results.append), median(results.read), median(results.flush), median(results.replay), ratio, (writes / RUNS).toFixed(1), Number(median(results.bytes).toFixed(1))]);
    await store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\nkarbon spool: ${BATCHES} batches of ${POINTS.toLocaleString("en-US")} points over ${NAMES.toLocaleString("en-US")} names (two intervals), store ${STORE}${WRITER_THREAD ? " (writer thread)" : ""}, ${RUNS} runs, medians, points/s, node ${process.version}\n`);
printTable(["batch type", "rows/batch", "append", "read back", "store flush", "replay (read + store + ack)", "replay/flush", "replay writes", "spool bytes/point"], rows);
