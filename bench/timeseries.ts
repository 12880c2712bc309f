/**
 * Timeseries library benchmark on SQLite: write throughput (bucket merges
 * per second, flushed in batches of 10,000), read latency (one stat × 1,440
 * buckets; 100 stats × 60 buckets) and bytes on disk per count bucket.
 *
 *   npx tsx bench/timeseries.ts [--runs 5]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../src/timeseries/backends/sqlite/sqlite-store.js";
import { Timeseries } from "../src/timeseries/index.js";
import { WRITE_SHAPES, median, percentile, printTable, sampleReads, seedReadData, writeRun } from "./bench-util.js";

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 5;

const NOW = Math.floor(Date.now() / 1000 / 86_400) * 86_400 + 43_200;
const dir = mkdtempSync(join(tmpdir(), "torus-bench-"));

function counts(store: SqliteStore, prefix: string): Timeseries {
  return new Timeseries(store, { type: "count", prefix, intervals: { minute: { step: 60 } }, clock: () => NOW });
}

const rows: Array<Array<string | number>> = [];

// Writes: new buckets (insert path), the same buckets again (upsert-conflict path),
// and the worst case for a name-ordered table: 10,000 names × 1 bucket per batch.
{
  const store = new SqliteStore(`sqlite:///${join(dir, "write.db")}`);
  for (const [shape, names, again] of WRITE_SHAPES) {
    const label = `write: ${shape}`;
    const rates: number[] = [];
    for (let r = 0; r < runs; r++) {
      const ts = counts(store, `w${names}_${r}_`);
      const start = NOW - 2_000 * 60;
      const first = await writeRun(ts, store, 500_000, names, start);
      rates.push(again ? await writeRun(ts, store, 500_000, names, start) : first);
    }
    rows.push([`${label} (merges/s)`, Math.round(median(rates)), Math.round(Math.min(...rates)), Math.round(Math.max(...rates)), "≥ 500,000"]);
  }
  await store.close();
}

// Reads: one stat with a full day of minute buckets; 100 stats with an hour each.
{
  const store = new SqliteStore(`sqlite:///${join(dir, "read.db")}`);
  const ts = counts(store, "r_");
  const names = await seedReadData(ts, store, NOW);
  const { single, avg, hundred } = await sampleReads(ts, names, 300, 100);
  rows.push(["series 1 stat × 1,440 buckets (ms)", median(single), Math.min(...single), percentile(single, 99), "median ≤ 2"]);
  rows.push(["series 1 stat × 1,440, mean (ms)", median(avg), Math.min(...avg), percentile(avg, 99), ""]);
  rows.push(["series 100 stats × 60 buckets (ms)", median(hundred), Math.min(...hundred), percentile(hundred, 99), ""]);
  await store.close();
}

// Size: 1,000,000 count buckets (1,000 names × 1,000 minutes), checkpointed and vacuumed.
{
  const path = join(dir, "size.db");
  const store = new SqliteStore(`sqlite:///${path}`);
  const ts = counts(store, "");
  await writeRun(ts, store, 1_000_000, 1_000, NOW - 2_000 * 60);
  store.handle.pragma("wal_checkpoint(TRUNCATE)");
  store.handle.exec("VACUUM");
  store.handle.pragma("wal_checkpoint(TRUNCATE)");
  const stored = (store.handle.prepare("SELECT COUNT(*) AS n FROM count").get() as { n: number }).n;
  await store.close();
  const bytes = statSync(path).size;
  rows.push(["disk: bytes per count bucket", bytes / stored, bytes, stored, "≤ 40"]);
}

rmSync(dir, { recursive: true, force: true });
console.log(`\nTimeseries on SQLite (better-sqlite3), ${runs} runs, node ${process.version}\n`);
printTable(["measure", "median", "min", "p99/max", "target"], rows);
console.log("\n(disk row: median column = bytes/bucket, then file bytes and bucket count)");
