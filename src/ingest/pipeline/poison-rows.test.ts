/**
 * Rows a store refuses, in the middle of a flush of good ones, on every
 * store for real: the good rows are all stored, the refused ones counted
 * in karbon_rejected_rows_total, and later flushes go on. Each store gets
 * the poison it actually refuses (staging now refuses most of these
 * itself, so they are put into the batch directly, as a value staging
 * cannot judge would arrive).
 */
import { pino } from "pino";
import { putCells } from "../../timeseries/testing/batch-view.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Timeseries, WriteBatch, type Store } from "../../timeseries/index.js";
import { openMysqlStore } from "../../timeseries/backends/mysql/mysql-store.js";
import { openPostgresStore } from "../../timeseries/backends/postgres/postgres-store.js";
import { RedisStore } from "../../timeseries/backends/redis/redis-store.js";
import { TEST_REDIS_URL, redisBinariesAvailable, startCluster, storeAvailable, type TestCluster } from "../../timeseries/testing/redis-test-cluster.js";
import type { SqlStore } from "../../timeseries/backends/sql/sql-store.js";
import { REQUIRED } from "../../timeseries/testing/must-run.js";
import { findServer } from "../../timeseries/testing/sql-test-target.js";
import { SqliteStore } from "../../timeseries/backends/sqlite/sqlite-store.js";
import { createIngestLog } from "./ingest-log.js";
import { KarbonMetrics } from "../karbon-metrics.js";
import { WriteBuffer } from "./write-buffer.js";

const T = Math.floor(Date.now() / 1000);
const MINUTE = T - (T % 60);
const PG_URLS = process.env.TORUS_TEST_POSTGRES_URL ? [process.env.TORUS_TEST_POSTGRES_URL] : ["postgresql://postgres@127.0.0.1:5432/test", "postgresql://root@127.0.0.1:5432/test"];
const MYSQL_URLS = [process.env.TORUS_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test"];

/** Put one count cell into the batch as it is, past staging's checks. */
function inject(batch: WriteBatch, ts: Timeseries, name: string, value: number): void {
  const part = batch.part(ts, ts.ns, ts.intervals);
  batch.size += putCells(part, name, [new Map([[MINUTE, value]])]);
  batch.points++;
}

interface Poison {
  /** Make the store refuse some rows of `batch` (written before, staged or injected); returns how many rows. */
  add(ts: Timeseries, batch: WriteBatch): Promise<number>;
  /** Names whose stored value must stay as it was, with that value (null: nothing stored). */
  untouched: Record<string, number | null>;
  /** Names logged as refused. */
  logged: number;
  /** The reasons the refusals are counted under. */
  reasons: string[];
}

interface Target {
  label: string;
  /** Why the target cannot run here, or null. Under CI=true a missing server fails instead. */
  unavailable(): Promise<string | null>;
  open(): Promise<Store>;
  poison: Poison;
  cleanup?(store: Store, prefix: string): Promise<void>;
}

const nanPoison: Poison = {
  async add(ts, batch) {
    inject(batch, ts, "p.nan1", Number.NaN);
    inject(batch, ts, "p.nan2", Number.NaN);
    return 2;
  },
  untouched: { "p.nan1": null, "p.nan2": null },
  logged: 2,
  reasons: ["refused"],
};

const infinityPoison: Poison = {
  async add(ts, batch) {
    inject(batch, ts, "p.inf1", Number.POSITIVE_INFINITY);
    inject(batch, ts, "p.inf2", Number.NEGATIVE_INFINITY);
    return 2;
  },
  untouched: { "p.inf1": null, "p.inf2": null },
  logged: 2,
  reasons: ["out_of_range"],
};

/** A total that overflows only once added to what the store holds, which staging cannot see, plus `extra`. */
function overflowPoison(extra: { name: string; reason: string }): Poison {
  return {
    async add(ts, batch) {
      await ts.insert("p.big", 1e308, T);
      ts.stage(batch, "p.big", 1e308, T, 0, T);
      inject(batch, ts, extra.name, 1);
      return 2;
    },
    // The extra name cannot even be looked up in the store that refuses it.
    untouched: { "p.big": 1e308 },
    logged: 2,
    reasons: ["out_of_range", extra.reason].sort(),
  };
}

async function sqlTarget(label: string, urls: string[], open: (u: string) => Promise<SqlStore>, poison: Poison): Promise<Target> {
  let url: string | undefined;
  return {
    label,
    async unavailable() {
      const found = await findServer({ label, urls, envVar: "", open });
      if ("url" in found) url = found.url;
      return "url" in found ? null : `no ${label} at ${urls.join(" or ")}`;
    },
    open: () => open(url ?? urls[0]),
    poison,
    cleanup: async (store, prefix) => (store as SqlStore).dropTables(prefix),
  };
}

let cluster: TestCluster | undefined;
afterAll(async () => cluster?.stop(), 30_000);

const targets: Target[] = [
  {
    label: "SQLite",
    unavailable: async () => null,
    open: async () => new SqliteStore("sqlite:///:memory:"),
    poison: nanPoison,
  },
  {
    label: "Redis",
    unavailable: async () => ((await storeAvailable(TEST_REDIS_URL)) ? null : `no Redis at ${TEST_REDIS_URL}`),
    open: () => RedisStore.open(TEST_REDIS_URL),
    poison: infinityPoison,
  },
  {
    label: "Redis Cluster",
    unavailable: async () => (redisBinariesAvailable() ? null : "redis-server/redis-cli not on the PATH"),
    open: async () => {
      cluster ??= await startCluster({ replicas: 0 });
      return RedisStore.open(cluster.url);
    },
    poison: infinityPoison,
  },
  // A NUL cannot go into PostgreSQL's text; MariaDB's names are VARBINARY(2048).
  await sqlTarget("PostgreSQL", PG_URLS, (u) => openPostgresStore(u), overflowPoison({ name: "p.nul\u0000name", reason: "bad_text" })),
  await sqlTarget("MariaDB", MYSQL_URLS, (u) => openMysqlStore(u), overflowPoison({ name: `p.long.${"x".repeat(3000)}`, reason: "too_long" })),
];

describe.each(targets)("rows a store refuses: $label", (target) => {
  let store: Store | undefined;
  let skip: string | null = null;
  const prefix = `poison${process.pid}${target.label.replace(/\W/g, "").toLowerCase()}_`;
  beforeAll(async () => {
    skip = await target.unavailable();
    if (skip && REQUIRED) throw new Error(`${target.label}: ${skip} (CI=true runs every store)`);
    if (skip) console.warn(`\n*** SKIPPED poison-row tests on ${target.label}: ${skip}. Start it to run them; CI=true fails instead. ***\n`);
    else store = await target.open();
  }, 90_000);
  afterAll(async () => {
    if (!store) return;
    try {
      await new Timeseries(store, { type: "count", prefix, intervals: { minute: { step: 60, steps: 60 } } }).delete_all();
      await target.cleanup?.(store, prefix);
    } finally {
      await store.close();
    }
  }, 30_000);

  it("stores every good row of the flush, counts the refused ones, and keeps writing later points", async (ctx) => {
    if (!store) return ctx.skip();
    const logs: Array<Record<string, unknown>> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const metrics = new KarbonMetrics();
    const buffer = new WriteBuffer(store, { flushInterval: 60_000, maxRows: 1_000_000, log: createIngestLog(logger, 0), logger, metrics });
    const ts = new Timeseries(store, { type: "count", prefix, intervals: { minute: { step: 60, steps: 60 } } });
    const good = (i: number) => `g.stat${i}`;
    for (let i = 0; i < 20; i++) ts.stage(buffer.batch, good(i), i + 1, T, 0, T);
    const poisoned = await target.poison.add(ts, buffer.batch);
    for (let i = 20; i < 40; i++) ts.stage(buffer.batch, good(i), i + 1, T, 0, T);

    // The refusals counted below prove the store refused the poison rows: before isolation, that stopped the store for good.
    expect(await buffer.flush()).toBe(true);
    expect(buffer.rows).toBe(0);
    for (let i = 0; i < 40; i++) expect(await ts.get(good(i), "minute", { timestamp: T }), good(i)).toBe(i + 1);
    for (const [name, value] of Object.entries(target.poison.untouched)) expect(await ts.get(name, "minute", { timestamp: T }), name).toBe(value);
    const rejected = (await metrics.rejectedRows.get()).values;
    expect(rejected.reduce((n, v) => n + v.value, 0)).toBe(poisoned);
    expect(rejected.map((v) => v.labels.reason).sort()).toEqual(target.poison.reasons);
    expect(rejected.every((v) => v.labels.store === store!.url)).toBe(true);
    expect(logs.filter((l) => l.msg === "store refused a row; dropped it")).toHaveLength(target.poison.logged);

    // Later points still get written.
    ts.stage(buffer.batch, "g.later", 5, T, 0, T);
    ts.stage(buffer.batch, good(0), 100, T, 0, T);
    expect(await buffer.flush()).toBe(true);
    expect(await ts.get("g.later", "minute", { timestamp: T })).toBe(5);
    expect(await ts.get(good(0), "minute", { timestamp: T })).toBe(101);
    expect(await buffer.close(5_000)).toBe(0);
  }, 60_000);
});
