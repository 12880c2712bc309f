/**
 * karbon as a real process fed lines no store can hold (a total that
 * overflows, a NUL in a name, a name too long, timestamps far outside the
 * window) between good ones: the bad ones are counted, the good ones are
 * stored, and karbon goes on writing later points and stops cleanly.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openPostgresStore } from "../src/timeseries/backends/postgres/postgres-store.js";
import type { SqlStore } from "../src/timeseries/backends/sql/sql-store.js";
import { REQUIRED } from "../src/timeseries/testing/must-run.js";
import { findServer } from "../src/timeseries/testing/sql-test-target.js";
import { SqliteStore } from "../src/timeseries/backends/sqlite/sqlite-store.js";
import { Timeseries, type Store } from "../src/timeseries/index.js";
import { eventually, sendTcp, spawnCli, type Spawned } from "./helpers/processes.js";

const dir = mkdtempSync(join(tmpdir(), "torus-karbon-poison-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const running: Spawned[] = [];
afterEach(async () => {
  for (const k of running.splice(0)) await k.stop("SIGKILL");
});

const NOW = Math.floor(Date.now() / 1000);
const T = NOW - 30;
const INTERVALS = { minute: { step: 60, steps: 1440 } };

function config(host: string, prefix: string): string {
  const path = join(dir, `${prefix}.ts`);
  writeFileSync(
    path,
    `import { defineConfig } from "torus";
export default defineConfig({
  SCHEMAS: { counts: { type: "count", host: ${JSON.stringify(host)}, prefix: ${JSON.stringify(prefix)}, match: "^c\\\\.", intervals: ${JSON.stringify(INTERVALS)} } },
  FLUSH_INTERVAL: 100,
});
`,
  );
  return path;
}

async function startKarbon(configPath: string): Promise<{ k: Spawned; port: number; metricsPort: number }> {
  const k = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", configPath]);
  running.push(k);
  const log = await k.waitForLog("karbon listening", 30_000);
  return { k, port: log.tcp.port, metricsPort: log.metrics.port };
}

/** `name{labels} value` lines of one metric, as label text → value. */
async function metricLines(port: number, name: string): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (m) out[m[1] ?? ""] = Number(m[2]);
  }
  return out;
}

/** Good lines c.good0..c.good<n-1>, value i + 1 each. */
const goods = (from: number, to: number) => Array.from({ length: to - from }, (_, j) => `c.good${from + j} ${from + j + 1} ${T}\n`).join("");

describe("karbon process: bad points between good ones", () => {
  it("counts each kind of bad point under its reason, stores every good one, stays up and stops cleanly", async () => {
    const db = join(dir, "k.db");
    const { k, port, metricsPort } = await startKarbon(config(`sqlite:///${db}`, ""));
    const poison = [
      `c.big 1e308 ${T}\n`, // staged
      `c.big 1e308 ${T}\n`, // its total would not be finite: refused at staging
      `c.nul\u0000name 1 ${T}\n`,
      `c.${"x".repeat(3000)} 1 ${T}\n`,
      `c.future 1 9007199254740991\n`,
      `c.soon 1 ${NOW + 2 * 86_400}\n`,
      `c.past 1 ${NOW - 2 * 86_400}\n`,
    ];
    await sendTcp(port, [goods(0, 10), ...poison, goods(10, 20)]);
    const store = new SqliteStore(`sqlite:///${db}`);
    try {
      const ts = new Timeseries(store, { type: "count", intervals: INTERVALS });
      await eventually(async () => (await ts.get("c.good19", "minute", { timestamp: T })) === 20, 15_000);
      for (let i = 0; i < 20; i++) expect(await ts.get(`c.good${i}`, "minute", { timestamp: T })).toBe(i + 1);
      expect(await ts.get("c.big", "minute", { timestamp: T })).toBe(1e308);
      expect(await ts.list()).not.toContain("c.future");
      expect(await metricLines(metricsPort, "karbon_bad_lines_total")).toEqual({
        '{reason="not_finite"}': 1,
        '{reason="nul_byte"}': 1,
        '{reason="name_too_long"}': 1,
        '{reason="too_far_future"}': 2,
        '{reason="too_far_past"}': 1,
      });
      // Later points are written; nothing reached the store to be refused there.
      await sendTcp(port, [`c.later 5 ${T}\n`]);
      await eventually(async () => (await ts.get("c.later", "minute", { timestamp: T })) === 5, 15_000);
      expect(await metricLines(metricsPort, "karbon_rejected_rows_total")).toEqual({});
    } finally {
      await store.close();
    }
    expect(await k.stop("SIGTERM")).toBe(0);
    expect(k.output()).toMatch(/stopped cleanly/);
  }, 60_000);

  const pgUrls = process.env.TORUS_TEST_POSTGRES_URL ? [process.env.TORUS_TEST_POSTGRES_URL] : ["postgresql://postgres@127.0.0.1:5432/test", "postgresql://root@127.0.0.1:5432/test"];
  it("a row the store refuses (a total overflowing what PostgreSQL holds) is isolated: the rest of its flush and later ones are stored", async (ctx) => {
    const found = await findServer({ label: "PostgreSQL", urls: pgUrls, envVar: "TORUS_TEST_POSTGRES_URL", open: (u) => openPostgresStore(u) });
    if (!("url" in found)) {
      if (REQUIRED) throw new Error(`no PostgreSQL at ${pgUrls.join(" or ")} (CI=true runs every store)`);
      console.warn(`\n*** SKIPPED: no PostgreSQL at ${pgUrls.join(" or ")}; CI=true fails instead. ***\n`);
      return ctx.skip();
    }
    const prefix = `kpoison${process.pid}_`;
    const { k, port, metricsPort } = await startKarbon(config(found.url, prefix));
    const store: Store = await openPostgresStore(found.url);
    try {
      const ts = new Timeseries(store, { type: "count", prefix, intervals: INTERVALS });
      await sendTcp(port, [`c.big 1e308 ${T}\n`]);
      await eventually(async () => (await ts.get("c.big", "minute", { timestamp: T })) === 1e308, 15_000);
      // One flush: good lines around a point PostgreSQL cannot add to what it holds.
      await sendTcp(port, [goods(0, 10) + `c.big 1e308 ${T}\n` + goods(10, 20)]);
      await eventually(async () => (await ts.get("c.good19", "minute", { timestamp: T })) === 20, 15_000);
      for (let i = 0; i < 20; i++) expect(await ts.get(`c.good${i}`, "minute", { timestamp: T })).toBe(i + 1);
      expect(await ts.get("c.big", "minute", { timestamp: T })).toBe(1e308);
      await eventually(async () => Object.values(await metricLines(metricsPort, "karbon_rejected_rows_total")).length > 0);
      const rejected = await metricLines(metricsPort, "karbon_rejected_rows_total");
      expect(Object.keys(rejected)).toEqual([`{store="${store.url}",reason="out_of_range"}`]);
      expect(Object.values(rejected)).toEqual([1]);
      expect(k.output()).toMatch(/"name":"c\.big".*store refused a row; dropped it/);
      await sendTcp(port, [`c.later 5 ${T}\n`]);
      await eventually(async () => (await ts.get("c.later", "minute", { timestamp: T })) === 5, 15_000);
      expect(await k.stop("SIGTERM")).toBe(0);
    } finally {
      await (store as SqlStore).dropTables(prefix).catch(() => {});
      await store.close();
    }
  }, 60_000);
});
