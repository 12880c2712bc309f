/**
 * The JS side of ingest alone: plaintext framing and parsing, routing and
 * staging into write batches (a fresh batch every 100,000 lines, as flushes
 * make), no store writes. CPU ns per line for bench/ingest.ts's two loads
 * (examples/statsd.ts, one count schema, and that schema with `--tagged`'s
 * names), median of five runs after a warm-up.
 *
 *   npx tsx bench/ingest-dispatch.ts [--senders 4] [--value one]
 *
 * `--senders N` interleaves N time ranges line by line, as bench/ingest.ts's
 * N connections (each a quarter of the hour) reach karbon: every point of a
 * name then lands in another range than the one before. `--value one`: every
 * timer sample is 1, as bench/ingest.ts's `--value one`.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { compileConfig, loadConfig, type Config } from "../src/config/index.js";
import { buildRuntime } from "../src/runtime/runtime.js";
import { StoreRegistry, WriteBatch } from "../src/timeseries/index.js";
import { Dispatcher } from "../src/ingest/pipeline/dispatcher.js";
import { createIngestLog } from "../src/ingest/pipeline/ingest-log.js";
import { KarbonMetrics } from "../src/ingest/karbon-metrics.js";
import { LineFramer } from "../src/ingest/protocols/plaintext/line-framer.js";
import { ROOT } from "../test/helpers/processes.js";

const DIR = mkdtempSync(join(tmpdir(), "torus-bench-dispatch-"));
process.env.TORUS_DATA = DIR;
const LINES = 1_000_000, NAMES = 10_000, APPS = 20;
/** Lines between two fresh write batches (flushes). */
const BATCH_LINES = 100_000;
const now = Math.floor(Date.now() / 1000);
const flag = (name: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : undefined);
const SENDERS = Number(flag("senders") ?? 1);
const VALUE_ONE = flag("value") === "one";
/** Line i's place in time: sender i % SENDERS, its (i / SENDERS)-th line. */
const at = (i: number) => (i % SENDERS) * Math.ceil(LINES / SENDERS) + Math.floor(i / SENDERS);
const tsOf = (i: number) => now - 3540 + Math.floor((at(i) / LINES) * 3540);
const statsd = (i: number) => {
  const n = i % NAMES, app = n % APPS, feature = Math.floor(n / APPS) % Math.ceil(NAMES / 3 / APPS);
  switch (n % 3) {
    case 0: return `stats_counts.app${app}.feature${feature} ${(i % 7) + 1} ${tsOf(i)}\n`;
    case 1: return `stats.timers.app${app}.feature${feature}.mean ${VALUE_ONE ? 1 : 10 + (i % 90)} ${tsOf(i)}\n`;
    default: return `stats.gauges.app${app}.feature${feature} ${i % 100} ${tsOf(i)}\n`;
  }
};
const one = (i: number) => `c.app${i % 20}.name${i % NAMES} ${(i % 7) + 1} ${tsOf(i)}\n`;
/** bench/ingest.ts --tagged's names: two tags, out of canonical order. */
const oneTagged = (i: number) => `c.app${i % 20}.name${i % NAMES};host=h${i % NAMES % 50};dc=dc${i % NAMES % 3} ${(i % 7) + 1} ${tsOf(i)}\n`;
const registry = new StoreRegistry();
async function run(label: string, config: Config, line: (i: number) => string) {
  const runtime = await buildRuntime(config, registry);
  // 64 KiB chunks, in runs of BATCH_LINES lines (chunks cut there), so a fresh batch comes after as many lines however long they are.
  const runs: Buffer[][] = [];
  for (let from = 0; from < LINES; from += BATCH_LINES) {
    const payload = Buffer.from(Array.from({ length: Math.min(BATCH_LINES, LINES - from) }, (_, k) => line(from + k)).join(""));
    const chunks: Buffer[] = [];
    for (let p = 0; p < payload.length; p += 65536) chunks.push(payload.subarray(p, p + 65536));
    runs.push(chunks);
  }
  const times: number[] = [];
  for (let r = 0; r < 6; r++) {
    const sources = runtime.schemas.map(() => ({ batch: new WriteBatch() }));
    const d = new Dispatcher(runtime, (i) => sources[i], createIngestLog(pino({ level: "silent" }), 0), new KarbonMetrics());
    const framer = new LineFramer(d);
    const t0 = process.cpuUsage();
    // A fresh batch every BATCH_LINES lines, as flushes would make; written batches give their columns to the next, as the write buffer has them do.
    for (const chunks of runs) {
      for (const c of chunks) framer.push(c);
      for (const s of sources) {
        s.batch.release();
        s.batch = new WriteBatch();
      }
    }
    const u = process.cpuUsage(t0);
    d.close();
    if (r > 0) times.push(((u.user + u.system) * 1000) / LINES);
  }
  times.sort((a, b) => a - b);
  console.log(`${label}: ${times[times.length >> 1].toFixed(0)} ns CPU per line (median of 5; min ${times[0].toFixed(0)})`);
}
await run("examples/statsd.ts", await loadConfig([join(ROOT, "examples", "statsd.ts")]), statsd);
const oneCount = compileConfig({ SCHEMAS: { c: { type: "count", host: `sqlite:///${join(DIR, "c.db")}`, match: "^c\\.", intervals: { minute: { step: 60 } } } } });
await run("one count schema", oneCount, one);
await run("one count schema, tagged names", oneCount, oneTagged);
await registry.closeAll();
rmSync(DIR, { recursive: true, force: true });
