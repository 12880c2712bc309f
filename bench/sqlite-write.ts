/**
 * SQLite write cost per row, in CPU time: batches shaped like karbon's on
 * the ingest benchmark's one-schema load (names × buckets, several senders
 * interleaving time ranges), written by one in-process SqliteStore. CPU
 * time (user + system of this process) rather than wall time, so a busy
 * machine moves it less.
 *
 *   npx tsx bench/sqlite-write.ts [--names 10000] [--rows 340000] [--writes 6] [--runs 3] [--type count|gauge|histogram] [--cache-mb 16 (karbon's)]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Timeseries, WriteBatch } from "../src/timeseries/index.js";
import { SqliteStore } from "../src/timeseries/backends/sqlite/sqlite-store.js";
import { median, printTable } from "./bench-util.js";

const arg = (name: string, dflt: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : dflt);
const NAMES = Number(arg("names", "10000"));
const ROWS = Number(arg("rows", "340000"));
const WRITES = Number(arg("writes", "6"));
const RUNS = Number(arg("runs", "3"));
const TYPE = arg("type", "count") as "count" | "gauge" | "histogram";
const CACHE_MB = Number(arg("cache-mb", "16"));
/** Senders whose time ranges interleave in one batch, as the ingest benchmark's four connections do. */
const SENDERS = 4;

const now = Math.floor(Date.now() / 1000 / 3600) * 3600;
const results: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const dir = mkdtempSync(join(tmpdir(), "torus-bench-sqlite-write-"));
  const store = new SqliteStore(`sqlite:///${join(dir, "w.db")}`, { cache_mb: CACHE_MB });
  const ts = new Timeseries(store, { type: TYPE, intervals: { minute: { step: 60 } }, clock: () => now });
  let cpu = 0;
  let rows = 0;
  const perWrite = Math.floor(ROWS / NAMES);
  for (let w = 0; w < WRITES; w++) {
    const batch = new WriteBatch();
    // Each sender covers its own quarter of a long window; every write moves on in time.
    for (let b = 0; b < perWrite / SENDERS; b++) {
      for (let s = 0; s < SENDERS; s++) {
        const t = now - 86_400 + s * 20_000 + (w * perWrite / SENDERS + b) * 60;
        for (let n = 0; n < NAMES; n++) ts.stage(batch, `c.app${n % 20}.name${n}`, TYPE === "gauge" ? n % 100 : TYPE === "histogram" ? (n + b) % 5 : 1, t, 0, now);
      }
    }
    rows += batch.size;
    const c0 = process.cpuUsage();
    await store.write(batch);
    const c1 = process.cpuUsage(c0);
    cpu += c1.user + c1.system;
  }
  results.push(cpu / rows);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
printTable(["type", "names", "rows per write", "writes", "CPU µs per row (median)", "min", "max"], [[TYPE, NAMES, Math.round(ROWS / 1), WRITES, median(results).toFixed(3), Math.min(...results).toFixed(3), Math.max(...results).toFixed(3)]]);
