/**
 * The read path behind `/render`: the direct point source (every request
 * read from the store) against the windowed one (points kept in memory,
 * refreshed through the store's change journal), on a SQLite file holding
 * 1,000 count stats × one day of minute buckets (1.44M buckets), the shape
 * of `sumSeries(app.*.latency)` over 24 h.
 *
 *   npx tsx bench/points.ts [--runs 15]
 *
 * Rows: 1,000 × 1,440 cold (a new window each read), warm (the same read
 * again), and warm with a write between reads (another connection writes the
 * newest minute of all 1,000 stats, as karbon's flush does, and the window
 * slides to it); a 20-stat × 1,440 panel; one stat × 60 points. Every
 * windowed answer is checked equal to the direct one once per row. Beside
 * the wall-clock medians, the medians of CPU time (user + system of this
 * process: the reads are synchronous, so on an idle machine the two agree,
 * while on a busy one the CPU figure is the steadier).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileConfig } from "../src/config/index.js";
import { DirectPointSource } from "../src/query/graphite-api/points/direct-point-source.js";
import { WindowedPointSource } from "../src/query/graphite-api/points/windowed-point-source.js";
import type { PointRead, PointSource } from "../src/query/graphite-api/graphite-data.js";
import { buildRuntime } from "../src/runtime/runtime.js";
import { SqliteStore } from "../src/timeseries/backends/sqlite/sqlite-store.js";
import { StoreRegistry, Timeseries, WriteBatch } from "../src/timeseries/index.js";
import { median, printTable } from "./bench-util.js";

/** Wall-clock and CPU milliseconds of one call. */
async function timed(fn: () => unknown): Promise<[number, number]> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  return [wall, (cpu.user + cpu.system) / 1000];
}

const medians = (samples: Array<[number, number]>): [number, number] => [median(samples.map((s) => s[0])), median(samples.map((s) => s[1]))];

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 15;
const NAMES = 1_000;
const DAY = 1_440;
const dir = mkdtempSync(join(tmpdir(), "torus-points-"));
const url = `sqlite:///${join(dir, "points.db")}`;
const NOW = Math.floor(Date.now() / 1000 / 60) * 60;

const runtime = await buildRuntime(
  compileConfig({ SCHEMAS: { app: { type: "count", match: "^app\\.", prefix: "app", host: url, intervals: { minute: { step: 60, steps: 2 * DAY } } } } }),
  new StoreRegistry(),
);
const schema = runtime.schemas[0];
const minute = schema.series.interval("minute");
const names = Array.from({ length: NAMES }, (_, i) => `app.${i}.latency`);

// The writer is another connection, as karbon is another process.
const writerStore = new SqliteStore(url);
const writer = new Timeseries(writerStore, { ...schema.compiled.options, clock: () => NOW + DAY * 60 });
const first0 = NOW - (DAY - 1) * 60;
for (let m = 0; m < DAY; m += 10) {
  const batch = new WriteBatch();
  for (let n = 0; n < NAMES; n++) for (let k = 0; k < 10; k++) writer.stage(batch, names[n], ((n * 31 + m + k) % 97) + 0.25, first0 + (m + k) * 60);
  await writerStore.write(batch);
}

const direct = new DirectPointSource();
const day = (last: number, some = names): PointRead => ({ schema, interval: minute, names: some, first: last - (DAY - 1) * 60, last });

/** Checks the two answers agree, then times `runs` reads; `between` runs before each timed read (untimed). */
async function row(label: string, source: PointSource, read: () => PointRead, between?: () => Promise<void>): Promise<[number, number]> {
  const want = await direct.read(read());
  const got = await source.read(read());
  for (let i = 0; i < want.length; i++) {
    const a = want[i].values;
    const b = got[i].values;
    if (a.length !== b.length || a.some((v, j) => !Object.is(v, b[j]))) throw new Error(`${label}: windowed and direct answers differ for ${read().names[i]}`);
  }
  const times: Array<[number, number]> = [];
  for (let r = 0; r < runs; r++) {
    if (between) await between();
    times.push(await timed(() => source.read(read())));
  }
  return medians(times);
}

let last = NOW;
const slide = async () => {
  // The newest minute of every stat, then the window moves to it.
  last += 60;
  const batch = new WriteBatch();
  for (const n of names) writer.stage(batch, n, 1.5, last + 1);
  await writerStore.write(batch);
};
const coldRuns = Math.max(3, Math.ceil(runs / 3));
const rows: Array<Array<string | number>> = [];
const add = async (label: string, target: string, d: () => Promise<[number, number]>, w: () => Promise<[number, number]>) => {
  const [dm, dc] = await d();
  const [wm, wc] = await w();
  rows.push([label, dm, wm, dm / wm, dc, wc, target]);
};

await add(
  "1,000 × 1,440, cold",
  "",
  async () => {
    const t: Array<[number, number]> = [];
    for (let r = 0; r < coldRuns; r++) t.push(await timed(() => direct.read(day(last))));
    return medians(t);
  },
  async () => {
    const t: Array<[number, number]> = [];
    for (let r = 0; r < coldRuns; r++) t.push(await timed(() => new WindowedPointSource({ maxBytes: 256 << 20 }).read(day(last))));
    return medians(t);
  },
);
const warm = new WindowedPointSource({ maxBytes: 256 << 20 });
await add("1,000 × 1,440, warm", "≤ 45 (whole request)", () => row("direct 1000", direct, () => day(last)), () => row("warm 1000", warm, () => day(last)));
await add("1,000 × 1,440, warm, a write between", "", () => row("direct 1000 write", direct, () => day(last), slide), () => row("warm 1000 write", warm, () => day(last), slide));
const panel = names.slice(0, 20);
await add("20 × 1,440, warm", "≤ 5 (whole request)", () => row("direct 20", direct, () => day(last, panel)), () => row("warm 20", warm, () => day(last, panel)));
const one: () => PointRead = () => ({ schema, interval: minute, names: [names[7]], first: last - 59 * 60, last });
await add("1 × 60, warm", "≤ 0.5 (whole request)", () => row("direct 1", direct, one), () => row("warm 1", warm, one));

console.log(`points read path, SQLite, ${NAMES.toLocaleString("en-US")} count stats × ${DAY.toLocaleString("en-US")} minutes; median of ${runs} runs (cold: ${coldRuns}), ms\n`);
printTable(["read", "direct", "windowed", "speed-up", "direct CPU", "windowed CPU", "target"], rows);
console.log(`\nwindow: ${(warm.size / 1048576).toFixed(1)} MB kept`);

await writerStore.close();
for (const s of new Set(runtime.schemas.map((x) => x.store))) await s.close();
rmSync(dir, { recursive: true, force: true });
