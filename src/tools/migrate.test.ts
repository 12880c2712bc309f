import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileConfig, loadConfig } from "../config/index.js";
import { buildRuntime, type Runtime } from "../runtime/runtime.js";
import { StoreRegistry, TYPE_NAMES } from "../timeseries/index.js";
import { migrate } from "./migrate.js";

const dir = mkdtempSync(join(tmpdir(), "torus-migrate-"));
const T = Math.floor(Date.now() / 1000 / 86400) * 86400 - 86400; // yesterday, midnight UTC

/** Source: minute and hour; destination (and its reference twin): 5 minutes, hours of 10-minute subs, days. */
function exportsFor(dbDir: string): Record<string, unknown> {
  const src = { minute: { step: 60 }, hour: { step: "1h" } };
  const dst = { five: { step: 300 }, hour: { step: "1h", resolution: 600 }, day: { step: "daily" } };
  const schemas: Record<string, unknown> = {};
  for (const type of TYPE_NAMES) {
    schemas[`src_${type}`] = { type, host: `sqlite:///${dbDir}/source.db`, prefix: "s", match: `^${type}\\.`, intervals: src };
    schemas[`dst_${type}`] = { type, host: `sqlite:///${dbDir}/dest.db`, prefix: "d", match: `^${type}\\.`, intervals: dst };
    schemas[`ref_${type}`] = { type, host: `sqlite:///${dbDir}/dest.db`, prefix: "r", match: `^${type}\\.`, intervals: dst };
  }
  return { SCHEMAS: schemas };
}

/** Points per type: [stat, value, timestamp], in time order, over ~3 hours; every histogram cell count is known. */
function pointsFor(type: string): Array<[string, string | number, number]> {
  const out: Array<[string, string | number, number]> = [];
  for (let i = 0; i < 40; i++) {
    const t = T + i * 271; // crosses minutes, 5-minute and hour boundaries
    const v = type === "set" ? i % 7 : type === "gauge" ? 100 - i : type === "series" ? i * 1.5 : (i % 5) + 1;
    out.push([`${type}.a`, v, t]);
    if (i % 3 === 0) out.push([`${type}.b`, type === "count" ? 2 : v, t + 1]);
  }
  // A histogram cell of 7 in one minute.
  if (type === "histogram") for (let k = 0; k < 7; k++) out.push([`${type}.seven`, 42, T + 3 * 3600 + k]);
  return out.sort((a, b) => a[2] - b[2]);
}

let runtime: Runtime;
const registry = new StoreRegistry();
beforeAll(async () => {
  runtime = await buildRuntime(compileConfig(exportsFor(dir)), registry);
  for (const type of TYPE_NAMES) {
    for (const [stat, v, t] of pointsFor(type)) {
      await runtime.schema(`src_${type}`)!.series.insert(stat, v, t);
      await runtime.schema(`ref_${type}`)!.series.insert(stat, v, t);
    }
  }
});
afterAll(async () => {
  await registry.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Raw stored rows of a schema for a stat in every interval: what "exact" is measured on. */
async function rawRows(schema: string, stat: string) {
  const s = runtime.schema(schema)!;
  const out: Record<string, unknown> = {};
  for (const iv of s.series.intervals) {
    const [rows] = await s.store.read(s.series.ns, [stat], iv.name, T - 86400, T + 3 * 86400);
    out[iv.name] = rows;
  }
  return out;
}

describe("migrate between SQLite schemas with different intervals", () => {
  it.each(TYPE_NAMES)("%s: the destination holds exactly what inserting the points directly would", async (type) => {
    const summary = await migrate(runtime, { source: `src_${type}`, destination: `dst_${type}`, interval: "minute" });
    const stats = [...new Set(pointsFor(type).map(([s]) => s))].sort();
    expect(summary.stats).toBe(stats.length);
    const minutes = new Set(pointsFor(type).map(([s, , t]) => `${s} ${t - (t % 60)}`));
    expect(summary.buckets).toBe(minutes.size);
    for (const stat of stats) {
      const got = await rawRows(`dst_${type}`, stat);
      expect(Object.values(got).every((rows) => (rows as unknown[]).length > 0)).toBe(true);
      expect(got).toEqual(await rawRows(`ref_${type}`, stat));
    }
    expect(await runtime.schema(`dst_${type}`)!.series.list()).toEqual(stats);
  });

  it("a histogram cell of 7 stays 7", async () => {
    const s = runtime.schema("dst_histogram")!.series;
    const t = T + 3 * 3600;
    const five = await s.get("histogram.seven", "five", { timestamp: t });
    expect(five).toEqual(new Map([[42, 7]]));
  });

  it("--stat, --match, --start/--end and --dry-run pick what is copied", async () => {
    const reg = new StoreRegistry();
    const d2 = mkdtempSync(join(tmpdir(), "torus-migrate2-"));
    try {
      const rt = await buildRuntime(compileConfig(exportsFor(d2)), reg);
      const src = rt.schema("src_count")!.series;
      for (const [stat, v, t] of pointsFor("count")) await src.insert(stat, v, t);
      const dst = rt.schema("dst_count")!.series;

      const dry = await migrate(rt, { source: "src_count", destination: "dst_count", interval: "minute", dryRun: true });
      expect(dry.stats).toBe(2);
      expect(dry.rows).toBeGreaterThan(0);
      expect(await dst.list()).toEqual([]);

      const one = await migrate(rt, { source: "src_count", destination: "dst_count", interval: "minute", stats: ["count.b"] });
      expect(one.stats).toBe(1);
      expect(await dst.list()).toEqual(["count.b"]);

      const start = T + 3600;
      const end = T + 7200 - 1;
      await migrate(rt, { source: "src_count", destination: "dst_count", interval: "minute", match: /\.a$/, start, end });
      const expected = pointsFor("count").filter(([s, , t]) => s === "count.a" && t >= start && t <= end);
      const got = await dst.series("count.a", "hour", { start: T, end: T + 3 * 3600, condense: true, transform: "sum" });
      const total = [...got.values()].filter((v) => v !== null).reduce((a, b) => a + b, 0);
      expect(total).toBe(expected.reduce((a, [, v]) => a + Number(v), 0));
      expect(got.get(T)).toBeNull();
    } finally {
      await reg.closeAll();
      rmSync(d2, { recursive: true, force: true });
    }
  });

  it("between two schemas in one file with no prefix: each keeps its own rows", async () => {
    const reg = new StoreRegistry();
    const d4 = mkdtempSync(join(tmpdir(), "torus-migrate4-"));
    try {
      const host = `sqlite:///${d4}/one.db`;
      const intervals = { minute: { step: 60 }, hour: { step: "1h" } };
      const rt = await buildRuntime(
        compileConfig({ SCHEMAS: { old: { type: "count", host, match: "^count\\.", intervals }, new: { type: "count", host, match: "^count\\.", intervals: { hour: { step: "1h" } } } } }),
        reg,
      );
      const points = pointsFor("count");
      for (const [stat, v, t] of points) await rt.schema("old")!.series.insert(stat, v, t);
      const summary = await migrate(rt, { source: "old", destination: "new", interval: "minute" });
      expect(summary.stats).toBe(2);
      const total = (stat: string) => points.filter(([s]) => s === stat).reduce((a, [, v]) => a + Number(v), 0);
      const range = { start: T - 3600, end: T + 4 * 3600, collapse: true, transform: "sum" as const };
      for (const stat of ["count.a", "count.b"]) {
        expect([...(await rt.schema("new")!.series.series(stat, "hour", range)).values()]).toEqual([total(stat)]);
        // The source is read, never written: its totals stay what was inserted.
        expect([...(await rt.schema("old")!.series.series(stat, "hour", range)).values()]).toEqual([total(stat)]);
      }
      expect(await rt.schema("new")!.series.list()).toEqual(["count.a", "count.b"]);
    } finally {
      await reg.closeAll();
      rmSync(d4, { recursive: true, force: true });
    }
  });

  it("refuses schemas of different types and unknown intervals", async () => {
    await expect(migrate(runtime, { source: "src_count", destination: "dst_set", interval: "minute" })).rejects.toThrow(/stores set, source "src_count" stores count/);
    await expect(migrate(runtime, { source: "src_count", destination: "dst_count", interval: "week" })).rejects.toThrow(/^--interval: schema "src_count" \(--source\) has no interval "week" \(its intervals: minute, hour\)$/);
  });
});

describe("torus migrate (the command)", () => {
  it("copies, prints a line per stat with --verbose, and a summary", async () => {
    const d3 = mkdtempSync(join(tmpdir(), "torus-migrate3-"));
    const config = join(d3, "torus.config.ts");
    writeFileSync(config, `export default ${JSON.stringify(exportsFor(d3))};\n`);
    const reg = new StoreRegistry();
    try {
      const rt = await buildRuntime(await loadConfig([config]), reg);
      for (const [stat, v, t] of pointsFor("histogram")) await rt.schema("src_histogram")!.series.insert(stat, v, t);
      await reg.closeAll();
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", join(import.meta.dirname, "..", "cli", "torus-main.ts"), "migrate", "--config", config, "--source", "src_histogram", "--destination", "dst_histogram", "--interval", "minute", "--verbose", "--concurrency", "2"],
        { encoding: "utf8", timeout: 30_000 },
      );
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^copied histogram\.seven: 1 buckets, 1 rows$/m);
      expect(r.stdout).toMatch(/^migrated 3 stats, \d+ buckets, \d+ rows from src_histogram\/minute to dst_histogram in [\d.]+ s$/m);
      const reg2 = new StoreRegistry();
      const rt2 = await buildRuntime(await loadConfig([config]), reg2);
      expect(await rt2.schema("dst_histogram")!.series.get("histogram.seven", "day", { timestamp: T + 3 * 3600 })).toEqual(new Map([[42, 7]]));
      await reg2.closeAll();
    } finally {
      rmSync(d3, { recursive: true, force: true });
    }
  });

  it("an --interval the source lacks: one line naming the schema and its intervals, nothing copied", () => {
    const d4 = mkdtempSync(join(tmpdir(), "torus-migrate4-"));
    const config = join(d4, "torus.config.ts");
    writeFileSync(config, `export default ${JSON.stringify(exportsFor(d4))};\n`);
    try {
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", join(import.meta.dirname, "..", "cli", "torus-main.ts"), "migrate", "--config", config, "--source", "src_gauge", "--destination", "dst_gauge", "--interval", "five"],
        { encoding: "utf8", timeout: 30_000 },
      );
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^torus\b.*--interval: schema "src_gauge" \(--source\) has no interval "five" \(its intervals: minute, hour\)\n$/);
    } finally {
      rmSync(d4, { recursive: true, force: true });
    }
  });
});
