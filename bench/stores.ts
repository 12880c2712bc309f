/**
 * The timeseries benchmark on every backend, one table: write throughput
 * (bucket merges per second, flushed in batches of 10,000 distinct buckets)
 * and read latency (one stat × 1,440 buckets; 100 stats × 60 buckets).
 *
 *   npx tsx bench/stores.ts [--total 200000] [--reads 200]
 *
 * Stores: a SQLite file in a temporary folder, Redis (TORUS_TEST_REDIS_URL,
 * default redis://127.0.0.1:6379/1), a Redis Cluster of 3 masters + 3
 * replicas started here on free loopback ports, PostgreSQL
 * (TORUS_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test)
 * and MariaDB (TORUS_TEST_MYSQL_URL, default mysql://root@127.0.0.1:3306/test).
 * Everything written goes under a bench prefix and is deleted at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_REDIS_URL, startCluster, type TestCluster } from "../src/timeseries/testing/redis-test-cluster.js";
import { openStore, Timeseries, type Store } from "../src/timeseries/index.js";
import { median, percentile, printTable, seedReadData, timeMs, writeRun } from "./bench-util.js";

const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
const TOTAL = Number(arg("--total")) || 200_000;
const READS = Number(arg("--reads")) || 200;
const NOW = Math.floor(Date.now() / 1000 / 86_400) * 86_400 + 43_200;
const INTERVALS = { minute: { step: 60, steps: 7 * 1440 } };
const PREFIX = `bench${process.pid}_`;

async function measure(label: string, store: Store): Promise<Array<string | number>> {
  const ts = new Timeseries(store, { type: "count", prefix: PREFIX, intervals: INTERVALS, clock: () => NOW });
  try {
    const start = NOW - 3 * 1440 * 60;
    const fresh = await writeRun(ts, store, TOTAL, 1_000, start);
    const again = await writeRun(ts, store, TOTAL, 1_000, start);
    const wide = await writeRun(ts, store, TOTAL, 10_000, NOW - 6 * 1440 * 60);
    const names = await seedReadData(ts, store, NOW);
    const one: number[] = [];
    const hundred: number[] = [];
    for (let i = 0; i < READS; i++) one.push(await timeMs(() => ts.series("day.stat", "minute", { steps: 1440 })));
    for (let i = 0; i < READS / 4; i++) hundred.push(await timeMs(() => Promise.all(names.map((n) => ts.series(n, "minute", { steps: 60 })))));
    return [label, Math.round(fresh), Math.round(again), Math.round(wide), median(one), percentile(one, 99), median(hundred)];
  } finally {
    await ts.delete_all().catch(() => {});
    for (const n of ["day.stat", ...Array.from({ length: 100 }, (_, s) => `hour.stat${s}`)]) await ts.delete(n).catch(() => {});
    await store.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), "torus-bench-stores-"));
let cluster: TestCluster | null = null;
const rows: Array<Array<string | number>> = [];
try {
  cluster = await startCluster({ replicas: 1 });
  const targets: Array<[string, string]> = [
    ["SQLite (file)", `sqlite:///${join(dir, "bench.db")}`],
    ["Redis", TEST_REDIS_URL],
    ["Redis Cluster 3+3", cluster.url],
    ["PostgreSQL", process.env.TORUS_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test"],
    ["MariaDB", process.env.TORUS_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test"],
  ];
  for (const [label, url] of targets) {
    process.stderr.write(`${label}…\n`);
    rows.push(await measure(label, await openStore(url)));
  }
} finally {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nTimeseries on every store: ${TOTAL.toLocaleString("en-US")} merges per write phase in batches of 10,000; ${READS} reads; node ${process.version}\n`);
printTable(
  ["store", "merges/s 1k×10 new", "1k×10 existing", "10k×1 new", "series 1×1,440 median ms", "p99 ms", "100×60 median ms"],
  rows,
);
console.log("\ntargets: SQLite ≥ 500,000, Redis and Cluster ≥ 300,000, PostgreSQL and MariaDB ≥ 100,000 merges/s; series 1×1,440 ≤ 2 ms (SQLite), ≤ 5 ms (others)");
