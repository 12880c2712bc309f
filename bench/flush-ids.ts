/**
 * What recording flush ids costs a write: the same flushes without an id
 * (A) and with one (B), alternated A/B/B/A in the same window on each store,
 * as milliseconds per flush (median over runs) for a small flush (100 rows,
 * where the fixed cost per flush shows) and a large one (10,000 rows).
 *
 *   npx tsx bench/flush-ids.ts [--runs 6] [--flushes 40] [--only redis,mariadb]
 *
 * Stores: a SQLite file in a temporary folder, Redis (TORUS_TEST_REDIS_URL,
 * default redis://127.0.0.1:6379/1), a Redis Cluster of 3 masters started
 * here on free loopback ports, PostgreSQL (TORUS_TEST_POSTGRES_URL) and
 * MariaDB (TORUS_TEST_MYSQL_URL). Everything written goes under a bench
 * prefix and is deleted at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_REDIS_URL, startCluster, type TestCluster } from "../src/timeseries/testing/redis-test-cluster.js";
import { openStore, Timeseries, WriteBatch, type Store } from "../src/timeseries/index.js";
import type { SqlStore } from "../src/timeseries/backends/sql/sql-store.js";
import { nextFlushId } from "../src/ingest/pipeline/flush-ids.js";
import { median, printTable } from "./bench-util.js";

const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const RUNS = Number(arg("--runs")) || 6;
const FLUSHES = Number(arg("--flushes")) || 40;
/** Stores whose label contains one of these words (case-insensitive); every store without it. */
const ONLY = arg("--only")?.toLowerCase().split(",");
const NOW = Math.floor(Date.now() / 1000 / 86_400) * 86_400 + 43_200;
const PREFIX = `benchids${process.pid}_`;

/** Mean ms per flush over FLUSHES flushes of `rows` names × 1 bucket, moving forward a minute per flush (as a stream does). */
async function run(ts: Timeseries, store: Store, rows: number, withIds: boolean, minute: { at: number }): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let f = 0; f < FLUSHES; f++) {
    const batch = new WriteBatch();
    if (withIds) batch.flushId = nextFlushId();
    const t = NOW - 3 * 86_400 + 60 * minute.at++;
    for (let n = 0; n < rows; n++) ts.stage(batch, `app${n}.requests`, 1, t);
    await store.write(batch);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6 / FLUSHES;
}

async function measure(label: string, store: Store): Promise<Array<Array<string | number>>> {
  const ts = new Timeseries(store, { type: "count", prefix: PREFIX, intervals: { minute: { step: 60, steps: 7 * 1440 } }, clock: () => NOW });
  const out: Array<Array<string | number>> = [];
  try {
    const minute = { at: 0 };
    for (const rows of [100, 10_000]) {
      await run(ts, store, rows, true, minute); // warm up: tables, names, prepared statements
      const a: number[] = [];
      const b: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        // A B B A: neither side always goes first.
        for (const withIds of r % 2 === 0 ? [false, true] : [true, false]) (withIds ? b : a).push(await run(ts, store, rows, withIds, minute));
      }
      const ma = median(a);
      const mb = median(b);
      out.push([label, rows, ma, mb, `${(((mb - ma) / ma) * 100).toFixed(1)}%`]);
    }
  } finally {
    await ts.delete_all().catch(() => {});
    if ("dropTables" in store) await (store as SqlStore).dropTables(PREFIX).catch(() => {});
    await store.close();
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "torus-bench-ids-"));
let cluster: TestCluster | null = null;
const rows: Array<Array<string | number>> = [];
try {
  const wanted = (label: string) => !ONLY || ONLY.some((w) => label.toLowerCase().includes(w));
  if (wanted("Redis Cluster")) cluster = await startCluster({ replicas: 0 });
  const targets: Array<[string, string]> = [
    ["SQLite (file)", `sqlite:///${join(dir, "bench.db")}`],
    ["Redis", TEST_REDIS_URL],
    ["Redis Cluster 3", cluster?.url ?? ""],
    ["PostgreSQL", process.env.TORUS_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test"],
    ["MariaDB", process.env.TORUS_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test"],
  ];
  for (const [label, url] of targets.filter(([label]) => wanted(label))) {
    process.stderr.write(`${label}…\n`);
    rows.push(...(await measure(label, await openStore(url))));
  }
} finally {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nFlush ids: ms per flush without (A) and with (B) an id, median of ${RUNS} runs of ${FLUSHES} flushes each, alternated; node ${process.version}\n`);
printTable(["store", "rows per flush", "A: no id, ms", "B: id, ms", "B vs A"], rows);
