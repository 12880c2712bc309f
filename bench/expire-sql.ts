/**
 * `expire()` without a name on PostgreSQL and MariaDB, on a table of ROWS
 * count rows (1,000 names × ROWS/1,000 minutes): the time of one expire
 * deleting the oldest 10 minutes (10,000 rows, 1%) without and with the
 * (interval_id, bucket) index, and without it but listing every name id
 * (a primary-key range per name), the planner's choice for each, how long
 * the open-time migration takes to build the index on the full table.
 * Then what the index costs writes: two tables, one with and one without
 * it, written in alternating 10,000-row batches (so a change in the
 * machine's load hits both alike), new buckets then existing ones.
 *
 * Run: `npx tsx bench/expire-sql.ts [rows] [names]` (default 1,000,000 and 1,000).
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
const NAMES = Number(process.argv[3] ?? 1_000);
const MINUTES = Math.ceil(ROWS / NAMES);
/** Minutes per expire: 1% of the rows, or one minute when there are fewer than 100. */
const PER_EXPIRE = Math.max(1, Math.floor(MINUTES / 100));
const RUNS = 3;
const NOW = Date.UTC(2026, 2, 1) / 1000;
const NS = { prefix: `bench_expire_${process.pid}_`, type: "count" as const };

interface Server {
  label: string;
  url: string;
  open(url: string): Promise<SqlStore>;
  dropIndex(store: SqlStore, prefix?: string): Promise<void>;
  explain(store: SqlStore, q: Query): Promise<string>;
  /** Runs a statement on the store's pool; rows as arrays. */
  run(store: SqlStore, q: Query): Promise<unknown[][]>;
  /** Membership of the first parameter in a list of ids. */
  inIds: string;
}

const SERVERS: Server[] = [
  {
    label: "PostgreSQL",
    url: process.env.TORUS_BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test",
    open: (u) => openPostgresStore(u),
    dropIndex: async (s, prefix = NS.prefix) => {
      await (s.handle as pg.Pool).query(`DROP INDEX "${expireIndexName(s.bareTable(prefix, NS.type), 63)}"`);
    },
    explain: async (s, q) => {
      const pool = s.handle as pg.Pool;
      await pool.query(`ANALYZE ${s.tables(NS.prefix).count}`);
      const { rows } = await pool.query(`EXPLAIN ${q.text}`, q.values as unknown[]);
      return rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join(" / ");
    },
    run: async (s, q) => (await (s.handle as pg.Pool).query({ text: q.text, values: q.values as unknown[], rowMode: "array" })).rows as unknown[][],
    inIds: "= ANY($1::int4[])",
  },
  {
    label: "MariaDB",
    url: process.env.TORUS_BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test",
    open: (u) => openMysqlStore(u),
    dropIndex: async (s, prefix = NS.prefix) => {
      await (s.handle as MysqlPool).query(`ALTER TABLE ${s.tables(prefix).count} DROP INDEX expire_key`);
    },
    explain: async (s, q) => {
      const pool = s.handle as MysqlPool;
      await pool.query(`ANALYZE TABLE ${s.tables(NS.prefix).count}`);
      const [rows] = await pool.query({ sql: `EXPLAIN ${q.text}`, values: q.values as unknown[] });
      return (rows as Array<Record<string, unknown>>).map((r) => `type=${String(r.type)} key=${String(r.key)} rows=${String(r.rows)}`).join(" / ");
    },
    run: async (s, q) => (await (s.handle as MysqlPool).query({ sql: q.text, values: q.values as unknown[], rowsAsArray: true }))[0] as unknown[][],
    inIds: "IN (?)",
  },
];

async function fill(store: SqlStore): Promise<void> {
  const ts = new Timeseries(store, { ...NS, intervals: { minute: { step: 60, steps: 10_000_000 } }, clock: () => NOW });
  let b = new WriteBatch();
  for (let m = 0; m < MINUTES; m++) {
    for (let n = 0; n < NAMES; n++) {
      ts.stage(b, `bench.expire.${n}`, 1, NOW - m * 60);
      if (b.size >= 10_000) {
        await store.write(b);
        b = new WriteBatch();
      }
    }
  }
  await store.write(b);
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

/**
 * The alternative to an index: the primary key starts (name_id, interval_id,
 * bucket), so a delete listing the name ids is one key range per name. No
 * write cost, but work grows with the number of names, not the rows deleted.
 */
async function expiresPerName(store: SqlStore, server: Server, oldest: number): Promise<{ ms: number; plan: string }> {
  const t = store.tables(NS.prefix);
  const times: number[] = [];
  let plan = "";
  for (let r = 0; r < RUNS; r++) {
    const before = NOW - (MINUTES - 1 - (oldest + (r + 1) * PER_EXPIRE)) * 60;
    const ivId = (await store.expireQuery(NS, "minute", before))!.values[0];
    const p2 = server.inIds.startsWith("=") ? "$2" : "?";
    const p3 = server.inIds.startsWith("=") ? "$3" : "?";
    const text = `DELETE FROM ${t.count} WHERE name_id ${server.inIds} AND interval_id = ${p2} AND bucket < ${p3}`;
    times.push(
      await timeMs(async () => {
        const ids = (await server.run(store, { text: `SELECT id FROM ${t.names}`, values: [] })).map((row) => Number(row[0]));
        for (let i = 0; i < ids.length; i += 1000) {
          const q = { text, values: [ids.slice(i, i + 1000), ivId, before] };
          if (r === 0 && i === 0) plan = (await server.explain(store, q)).replace(/'\{[^}]*\}'/g, "'{…}'");
          await server.run(store, q);
        }
      }),
    );
  }
  return { ms: median(times), plan };
}

const WRITE_ROUNDS = 30;

/** Median ms per 10,000-row batch into a table with the index and one without, interleaved: [new with, new without, existing with, existing without]. */
async function writeCost(store: SqlStore, server: Server): Promise<number[]> {
  const prefixes = [`${NS.prefix}w1_`, `${NS.prefix}w0_`];
  const series = prefixes.map((prefix) => new Timeseries(store, { type: "count", prefix, intervals: { minute: { step: 60, steps: 10_000_000 } }, clock: () => NOW }));
  const batch = (ts: Timeseries, m0: number) => {
    const b = new WriteBatch();
    for (let n = 0; n < 1_000; n++) for (let m = m0; m < m0 + 10; m++) ts.stage(b, `bench.write.${n}`, 1, NOW - m * 60);
    return b;
  };
  for (const ts of series) await store.write(batch(ts, 1_000_000)); // tables, names, statements
  await server.dropIndex(store, prefixes[1]);
  const times = [[], [], [], []] as number[][];
  for (let r = 0; r < WRITE_ROUNDS * 2; r++) {
    const fresh = r < WRITE_ROUNDS;
    const m0 = fresh ? r * 10 : 0;
    // Alternate which table goes first, so neither always meets the other's leftovers (checkpoints, purge).
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const b = batch(series[i], m0);
      times[(fresh ? 0 : 2) + i].push(await timeMs(() => store.write(b)));
    }
  }
  for (const p of prefixes) await store.dropTables(p);
  return times.map(median);
}

const out: string[] = [];
const costs: string[] = [];
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
    const perName = await expiresPerName(store, server, RUNS * PER_EXPIRE);
    // The migration: a store opening a table without the index builds it.
    const later = await server.open(server.url);
    const migrateMs = await timeMs(() => later.list(NS));
    await later.close();
    const withIndex = await expires(store, server, 2 * RUNS * PER_EXPIRE);
    const [newWith, newWithout, oldWith, oldWithout] = await writeCost(store, server);
    const pct = (a: number, b: number) => `${a > b ? "+" : ""}${(((a - b) / b) * 100).toFixed(0)}%`;
    costs.push(`| ${server.label} | ${newWithout.toFixed(0)} / ${newWith.toFixed(0)} ms (${pct(newWith, newWithout)}) | ${oldWithout.toFixed(0)} / ${oldWith.toFixed(0)} ms (${pct(oldWith, oldWithout)}) |`);
    out.push(
      `| ${server.label} | ${(fillMs / 1000).toFixed(1)} s | ${without.ms.toFixed(0)} ms | ${withIndex.ms.toFixed(0)} ms | ${perName.ms.toFixed(0)} ms | ${(migrateMs / 1000).toFixed(1)} s |`,
      `|  plan without | ${without.plan} |||||`,
      `|  plan with | ${withIndex.plan} |||||`,
      `|  plan by name ids | ${perName.plan} |||||`,
    );
  } finally {
    await store.dropTables(NS.prefix);
    await store.close();
  }
}
console.log(`\n${ROWS.toLocaleString("en")} count rows (${NAMES.toLocaleString("en")} names × ${MINUTES} minutes); one expire deletes ${(PER_EXPIRE * NAMES).toLocaleString("en")} rows; median of ${RUNS}\n`);
console.log("| store | fill | expire, no index | expire, index | expire by name ids, no index | migration (build index on open) |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const line of out) console.log(line);
console.log(`\nWrite cost of the index: median ms per flush of 10,000 rows, without / with, ${WRITE_ROUNDS} interleaved flushes each\n`);
console.log("| store | new buckets | existing buckets |");
console.log("| --- | ---: | ---: |");
for (const line of costs) console.log(line);
