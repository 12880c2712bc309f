/**
 * `expire()` without a name on PostgreSQL and MariaDB, on a table of ROWS
 * count rows (1,000 names × ROWS/1,000 minutes): the time of one expire
 * deleting the oldest 10 minutes (10,000 rows, 1%) without and with the
 * (interval_id, bucket) index, the planner's choice for each, and how long
 * the open-time migration takes to build the index on the full table.
 *
 * Run: `npx tsx bench/expire-sql.ts [rows]` (default 1,000,000).
 * URLs: TORUS_BENCH_POSTGRES_URL, TORUS_BENCH_MYSQL_URL (defaults: the test servers).
 * Tables live under a `bench_expire_<pid>_` prefix and are dropped at the end.
 */
import type { Pool as MysqlPool } from "mysql2/promise";
import type pg from "pg";
import { openMysqlStore } from "../src/timeseries/backends/mysql/mysql-store.js";
import { expireIndexName } from "../src/timeseries/backends/postgres/postgres-dialect.js";
import { openPostgresStore } from "../src/timeseries/backends/postgres/postgres-store.js";
import type { Query } from "../src/timeseries/backends/sql/sql-dialect.js";
import type { SqlStore } from "../src/timeseries/backends/sql/sql-store.js";
import { Timeseries } from "../src/timeseries/timeseries.js";
import { WriteBatch } from "../src/timeseries/write-batch.js";
import { median, timeMs } from "./bench-util.js";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const NAMES = 1_000;
const MINUTES = Math.ceil(ROWS / NAMES);
const PER_EXPIRE = 10; // minutes per expire
const RUNS = 3;
const NOW = Date.UTC(2026, 2, 1) / 1000;
const NS = { prefix: `bench_expire_${process.pid}_`, type: "count" as const };

interface Server {
  label: string;
  url: string;
  open(url: string): Promise<SqlStore>;
  dropIndex(store: SqlStore): Promise<void>;
  explain(store: SqlStore, q: Query): Promise<string>;
}

const SERVERS: Server[] = [
  {
    label: "PostgreSQL",
    url: process.env.TORUS_BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test",
    open: (u) => openPostgresStore(u),
    dropIndex: async (s) => {
      await (s.handle as pg.Pool).query(`DROP INDEX "${expireIndexName(s.bareTable(NS.prefix, NS.type), 63)}"`);
    },
    explain: async (s, q) => {
      const pool = s.handle as pg.Pool;
      await pool.query(`ANALYZE ${s.tables(NS.prefix).count}`);
      const { rows } = await pool.query(`EXPLAIN ${q.text}`, q.values as unknown[]);
      return rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join(" / ");
    },
  },
  {
    label: "MariaDB",
    url: process.env.TORUS_BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test",
    open: (u) => openMysqlStore(u),
    dropIndex: async (s) => {
      await (s.handle as MysqlPool).query(`ALTER TABLE ${s.tables(NS.prefix).count} DROP INDEX expire_key`);
    },
    explain: async (s, q) => {
      const pool = s.handle as MysqlPool;
      await pool.query(`ANALYZE TABLE ${s.tables(NS.prefix).count}`);
      const [rows] = await pool.query({ sql: `EXPLAIN ${q.text}`, values: q.values as unknown[] });
      return (rows as Array<Record<string, unknown>>).map((r) => `type=${String(r.type)} key=${String(r.key)} rows=${String(r.rows)}`).join(" / ");
    },
  },
];

async function fill(store: SqlStore): Promise<void> {
  const ts = new Timeseries(store, { ...NS, intervals: { minute: { step: 60, steps: 10_000_000 } }, clock: () => NOW });
  for (let m0 = 0; m0 < MINUTES; m0 += 10) {
    const b = new WriteBatch();
    for (let n = 0; n < NAMES; n++) for (let m = m0; m < Math.min(m0 + 10, MINUTES); m++) ts.stage(b, `bench.expire.${n}`, 1, NOW - m * 60);
    await store.write(b);
  }
}

/** RUNS expires, each removing the next PER_EXPIRE oldest minutes; `oldest` counts minutes already gone. */
async function expires(store: SqlStore, server: Server, oldest: number): Promise<{ ms: number; plan: string }> {
  const times: number[] = [];
  let plan = "";
  for (let r = 0; r < RUNS; r++) {
    const before = NOW - (MINUTES - 1 - (oldest + (r + 1) * PER_EXPIRE)) * 60;
    if (r === 0) plan = await server.explain(store, (await store.expireQuery(NS, "minute", before))!);
    times.push(await timeMs(() => store.expire(NS, "minute", before)));
  }
  return { ms: median(times), plan };
}

const out: string[] = [];
for (const server of SERVERS) {
  let store: SqlStore;
  try {
    store = await server.open(server.url);
  } catch (err) {
    console.log(`${server.label}: skipped (${(err as Error).message})`);
    continue;
  }
  try {
    const fillMs = await timeMs(() => fill(store));
    await server.dropIndex(store);
    const without = await expires(store, server, 0);
    // The migration: a store opening a table without the index builds it.
    const later = await server.open(server.url);
    const migrateMs = await timeMs(() => later.list(NS));
    await later.close();
    const withIndex = await expires(store, server, RUNS * PER_EXPIRE);
    out.push(
      `| ${server.label} | ${(fillMs / 1000).toFixed(1)} s | ${without.ms.toFixed(0)} ms | ${withIndex.ms.toFixed(0)} ms | ${(migrateMs / 1000).toFixed(1)} s |`,
      `|  plan without | ${without.plan} ||||`,
      `|  plan with | ${withIndex.plan} ||||`,
    );
  } finally {
    await store.dropTables(NS.prefix);
    await store.close();
  }
}
console.log(`\n${ROWS.toLocaleString("en")} count rows (${NAMES} names × ${MINUTES} minutes); one expire deletes ${(PER_EXPIRE * NAMES).toLocaleString("en")} rows; median of ${RUNS}\n`);
console.log("| store | fill | expire, no index | expire, index | migration (build index on open) |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const line of out) console.log(line);
