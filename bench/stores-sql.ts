/**
 * Throughput of the SQL stores: bucket merges per second into PostgreSQL and
 * MariaDB, flushed as karbon does in batches of 10,000 distinct buckets, and
 * the latency of reading one stat's 1,440 minute buckets (a day) back.
 * Targets: ≥ 100,000 merges/s on each; a 1,440-bucket series ≤ 5 ms median.
 *
 * Run: `npx tsx bench/stores-sql.ts [batches]` (default 20 per phase).
 * URLs: TORUS_BENCH_POSTGRES_URL, TORUS_BENCH_MYSQL_URL (defaults: the test servers).
 * Tables live under a `bench_<pid>_` prefix and are dropped at the end.
 */
import { openMysqlStore } from "../src/timeseries/backends/mysql/mysql-store.js";
import { openPostgresStore } from "../src/timeseries/backends/postgres/postgres-store.js";
import type { SqlStore } from "../src/timeseries/backends/sql/sql-store.js";
import type { TypeName } from "../src/timeseries/store.js";
import { WriteBatch } from "../src/timeseries/write-batch.js";
import { Timeseries } from "../src/timeseries/timeseries.js";

const BATCHES = Number(process.argv[2] ?? 20);
const BATCH = 10_000;
const NAMES = 1_000;
const READS = 200;
const NOW = Date.UTC(2026, 2, 1) / 1000;

const SERVERS: Array<{ label: string; url: string; open: (url: string) => Promise<SqlStore> }> = [
  { label: "PostgreSQL", url: process.env.TORUS_BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test", open: (u) => openPostgresStore(u) },
  { label: "MariaDB", url: process.env.TORUS_BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test", open: (u) => openMysqlStore(u) },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeseries(store: SqlStore, type: TypeName, prefix: string): Timeseries {
  // Retention far longer than the bench spans, so no point is dropped as expired.
  return new Timeseries(store, { type, prefix, intervals: { minute: { step: 60, steps: 10_000_000 } }, clock: () => NOW });
}

/** Batch k: 10,000 distinct buckets, NAMES names × (BATCH / NAMES) minutes starting at minute `first(k)`. */
function stageBatch(ts: Timeseries, firstMinute: number): WriteBatch {
  const b = new WriteBatch();
  const perName = BATCH / NAMES;
  for (let n = 0; n < NAMES; n++) {
    const name = `bench.stat.${n}`;
    for (let m = 0; m < perName; m++) ts.stage(b, name, 1, NOW - (firstMinute + m) * 60);
  }
  return b;
}

/** Merges per second over `BATCHES` flushes; `fresh` puts every batch on new buckets, else all hit the same ones. */
async function merges(store: SqlStore, ts: Timeseries, fresh: boolean, offset: number): Promise<number> {
  const perName = BATCH / NAMES;
  let merged = 0;
  const start = performance.now();
  for (let k = 0; k < BATCHES; k++) {
    const b = stageBatch(ts, offset + (fresh ? k * perName : 0));
    await store.write(b);
    merged += b.size;
  }
  return merged / ((performance.now() - start) / 1000);
}

async function seriesLatency(store: SqlStore, prefix: string): Promise<number> {
  const ts = timeseries(store, "count", prefix);
  const b = new WriteBatch();
  for (let m = 0; m < 1440; m++) ts.stage(b, "bench.day", m, NOW - m * 60);
  await store.write(b);
  const range = { start: NOW - 1439 * 60, end: NOW };
  const got = await ts.series("bench.day", "minute", range);
  if (got.size !== 1440 || [...got.values()].some((v) => v === null)) throw new Error(`expected 1,440 full buckets, got ${got.size}`);
  const times: number[] = [];
  for (let i = 0; i < READS; i++) {
    const t = performance.now();
    await ts.series("bench.day", "minute", range);
    times.push(performance.now() - t);
  }
  return median(times);
}

interface Result {
  label: string;
  insert: number;
  merge: number;
  gauge: number;
  series: number;
}

async function bench(server: (typeof SERVERS)[number]): Promise<Result | string> {
  let store: SqlStore;
  try {
    store = await server.open(server.url);
  } catch (err) {
    return `${server.label}: skipped (${(err as Error).message})`;
  }
  const prefix = `bench_${process.pid}_`;
  try {
    const count = timeseries(store, "count", prefix);
    // Warm up: tables, interned names, prepared statements, server caches.
    await store.write(stageBatch(count, 10_000_000));
    const insert = await merges(store, count, true, 0);
    const merge = await merges(store, count, false, 0);
    const gauges = timeseries(store, "gauge", prefix);
    await store.write(stageBatch(gauges, 0));
    const gauge = await merges(store, gauges, false, 0);
    const series = await seriesLatency(store, `${prefix}s_`);
    return { label: server.label, insert, merge, gauge, series };
  } finally {
    await store.dropTables(prefix);
    await store.dropTables(`${prefix}s_`);
    await store.close();
  }
}

const rows: Result[] = [];
for (const server of SERVERS) {
  const r = await bench(server);
  if (typeof r === "string") console.log(r);
  else rows.push(r);
}
const k = (n: number) => `${Math.round(n / 1000).toLocaleString("en")}k`;
console.log(`\n${BATCHES} flushes of ${BATCH.toLocaleString("en")} distinct buckets per phase (${NAMES} names)\n`);
console.log("| store | count, new buckets (merges/s) | count, existing buckets (merges/s) | gauge, existing (merges/s) | series of 1,440 buckets (median ms) |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of rows) console.log(`| ${r.label} | ${k(r.insert)} | ${k(r.merge)} | ${k(r.gauge)} | ${r.series.toFixed(2)} |`);
