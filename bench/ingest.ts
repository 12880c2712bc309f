/**
 * Ingest benchmark: a load generator against a real karbon process.
 * Several TCP connections send N lines over M names with timestamps spread
 * over the last hour; the clock runs from the first byte sent until karbon
 * reports every point received and every buffer flushed (then readable
 * from the store). Completeness is checked by reading the store back.
 *
 *   npm run build && npx tsx bench/ingest.ts [--lines 2000000] [--names 10000] [--connections 4] [--runs 3] [--workers 1] [--protocol plaintext|pickle] [--tagged] [--value one]
 *
 * `--tagged` gives the count scenario's names two Graphite 1.1 tags, sent
 * out of canonical order (`c.app1.name7;host=h7;dc=dc1`), so karbon parses
 * and sorts them on every line: compare with the same run without it.
 * `--protocol pickle` sends the same points to karbon's pickle port instead,
 * as carbon-relay does: protocol-2 pickles of 500 points a frame.
 *
 * Reports lines/s end to end and accepted (every byte taken off the sockets),
 * karbon's CPU µs per line (all threads, and split: main threads / the rest,
 * where a SQLite writer thread would show), store rows per line, peak RSS,
 * and the machine's load average at the start and end. `--probe-ms N` (20):
 * how often /metrics is read while waiting for the last flush.
 * `--no-writer-thread` gives every schema `client_config.writer_thread: false`
 * (each SQLite file written on the main thread, as before the writer thread).
 * `--spool` also gives karbon a SPOOL_DIR (in the run's temp directory): the
 * cost of having the disk spool on when no store fails.
 *
 * `--memory` prints where karbon's memory went. `--only <text>` runs the scenarios whose label contains the text. karbon
 * runs from dist/ (what ships); build first. KARBON_NODE_ARGS (e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof") and KARBON_NODE_OPTIONS reach karbon's node.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadConfig } from "../src/config/index.js";
import { buildRuntime } from "../src/runtime/runtime.js";
import { StoreRegistry } from "../src/timeseries/index.js";
import { ROOT, spawnCli, type Spawned } from "../test/helpers/processes.js";
import { frame, pickleBatch, type CarbonPoint } from "../src/ingest/protocols/pickle/pickle-encoder.case.js";
import { median, printTable } from "./bench-util.js";
import { numberArg, scrapeMetrics as metrics, sendPayload as send, storedCountTotal } from "./karbon-load.js";

const arg = numberArg;
const LINES = arg("lines", 2_000_000);
const NAMES = arg("names", 10_000);
const CONNECTIONS = arg("connections", 4);
const RUNS = arg("runs", 3);
/** `--memory`: print karbon's peak heap and anonymous/file-backed RSS per run (to stderr). */
const MEMORY = process.argv.includes("--memory");
/** karbon's `--workers`. */
const WORKERS = arg("workers", 1);
/** `--only <text>`: run just the scenarios whose label contains it. */
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : "";
/** `--protocol pickle`: the same points, pickled, to the pickle port. */
const PROTOCOL = process.argv.includes("--protocol") ? process.argv[process.argv.indexOf("--protocol") + 1] : "plaintext";
if (PROTOCOL !== "plaintext" && PROTOCOL !== "pickle") throw new Error(`--protocol: plaintext or pickle, not ${PROTOCOL}`);
/** `--spool`: karbon runs with a SPOOL_DIR. */
const SPOOL = process.argv.includes("--spool");
/** `--no-writer-thread`: every schema's SQLite file is written on karbon's main thread (`client_config.writer_thread: false`). */
const NO_WRITER_THREAD = process.argv.includes("--no-writer-thread");
/** `--tagged`: the count scenario sends tagged names (tags out of canonical order). */
const TAGGED = process.argv.includes("--tagged");
/** Milliseconds between two looks at karbon's /metrics while waiting for the last flush. */
const PROBE_MS = arg("probe-ms", 20);
/** Points per pickle frame: carbon-relay's MAX_DATAPOINTS_PER_MESSAGE. */
const PICKLE_BATCH = 500;

/** One connection's lines as carbon-relay would send them: frames of protocol-2 pickles. */
function picklePayload(lines: readonly string[]): Buffer {
  const frames: Buffer[] = [];
  for (let k = 0; k < lines.length; k += PICKLE_BATCH) {
    const points: CarbonPoint[] = lines.slice(k, k + PICKLE_BATCH).map((l) => {
      const [name, value, ts] = l.trimEnd().split(" ");
      return { name, value: Number(value), timestamp: Number(ts) };
    });
    frames.push(frame(pickleBatch(points, "python2")));
  }
  return Buffer.concat(frames);
}

interface Scenario {
  label: string;
  config: (dir: string) => string;
  /** Line i's name and value. */
  line: (i: number, now: number) => string;
  /** Checks the store holds exactly what was sent; returns a description or throws. */
  verify: (dir: string, configPath: string, now: number) => Promise<string>;
}

const APPS = 20;
/** `--value one`: every statsd timer sample is 1 (one histogram member a cell) instead of 10..99. */
const VALUE_ONE = process.argv.includes("--value") && process.argv[process.argv.indexOf("--value") + 1] === "one";
const statsdName = (i: number) => {
  const n = i % NAMES;
  const app = n % APPS;
  const feature = Math.floor(n / APPS) % Math.ceil(NAMES / 3 / APPS);
  switch (n % 3) {
    case 0:
      return { kind: "count", name: `stats_counts.app${app}.feature${feature}`, value: (i % 7) + 1 };
    case 1:
      return { kind: "timer", name: `stats.timers.app${app}.feature${feature}.mean`, value: VALUE_ONE ? 1 : 10 + (i % 90) };
    default:
      return { kind: "gauge", name: `stats.gauges.app${app}.feature${feature}`, value: i % 100 };
  }
};
const tsOf = (i: number, now: number) => now - 3540 + Math.floor((i / LINES) * 3540);

const scenarios: Scenario[] = [
  {
    label: "examples/statsd.ts on SQLite",
    config: () => join(ROOT, "examples", "statsd.ts"),
    line: (i, now) => {
      const s = statsdName(i);
      return `${s.name} ${s.value} ${tsOf(i, now)}\n`;
    },
    async verify(dir, configPath, now) {
      let counts = 0;
      let timers = 0;
      for (let i = 0; i < LINES; i++) {
        const s = statsdName(i);
        if (s.kind === "count") counts += s.value;
        else if (s.kind === "timer") timers++;
      }
      process.env.TORUS_DATA = dir;
      const registry = new StoreRegistry();
      const rt = await buildRuntime(await loadConfig([configPath]), registry);
      const range = { start: now - 7200, end: now + 60, collapse: true };
      const sumOver = async (schema: string, prefix: string, transform?: string) => {
        const names = (await rt.schema(schema)!.series.list()).filter((n) => n.startsWith(`${prefix}.`) && n.split(".").length === prefix.split(".").length + 1);
        const v = (await rt.schema(schema)!.series.series(names, "hourly", { ...range, transform })).values().next().value;
        return v as number;
      };
      // Per-feature names only (the rollups hold the same points again).
      let storedCounts = 0;
      for (let a = 0; a < APPS; a++) storedCounts += await sumOver("counts", `stats_counts.app${a}`);
      let storedTimers = 0;
      for (let a = 0; a < APPS; a++) {
        const names = (await rt.schema("timers")!.series.list()).filter((n) => n.startsWith(`stats.timers.app${a}.feature`) && n.split(".").length === 5);
        storedTimers += [...(await rt.schema("timers")!.series.series(names, "hourly", { ...range, transform: "count" })).values()][0] as number;
      }
      const rollups = (await Promise.all(Array.from({ length: APPS }, (_, a) => rt.schema("counts")!.series.series(`stats_counts.app${a}`, "hourly", { ...range })))).reduce(
        (s, m) => s + ([...m.values()][0] as number),
        0,
      );
      await registry.closeAll();
      if (storedCounts !== counts || rollups !== counts || storedTimers !== timers) {
        throw new Error(`incomplete: counts ${storedCounts}/${counts}, rollups ${rollups}/${counts}, timer samples ${storedTimers}/${timers}`);
      }
      return `counts ${counts} (and rollups), timer samples ${timers}: all stored`;
    },
  },
  {
    label: "one count schema, one interval",
    config: (dir) => {
      const path = join(dir, "ceiling.ts");
      writeFileSync(path, `export const SCHEMAS = { c: { type: "count", host: "sqlite:///${join(dir, "ceiling.db")}", match: "^c\\\\.", intervals: { minute: { step: 60 } } } };`);
      return path;
    },
    line: TAGGED
      ? (i, now) => `c.app${i % 20}.name${i % NAMES};host=h${i % NAMES % 50};dc=dc${i % NAMES % 3} ${(i % 7) + 1} ${tsOf(i, now)}\n`
      : (i, now) => `c.app${i % 20}.name${i % NAMES} ${(i % 7) + 1} ${tsOf(i, now)}\n`,
    async verify(dir, configPath, now) {
      let expected = 0;
      for (let i = 0; i < LINES; i++) expected += (i % 7) + 1;
      const { names, total: got } = await storedCountTotal(configPath, now);
      if (got !== expected || names.length !== NAMES) throw new Error(`incomplete: ${got}/${expected} over ${names.length}/${NAMES} names`);
      if (TAGGED && !names.every((n) => /;dc=dc\d;host=h\d+$/.test(n))) throw new Error(`tagged names not stored canonically: ${names.find((n) => !/;dc=dc\d;host=h\d+$/.test(n))}`);
      return `sum ${expected} over ${NAMES} ${TAGGED ? "tagged " : ""}names: all stored`;
    },
  },
];

/** A config that is `path`'s with `client_config.writer_thread` set on every schema. */
function withoutWriterThread(dir: string, path: string): string {
  const out = join(dir, "writer-thread.mjs");
  writeFileSync(
    out,
    `import * as m from ${JSON.stringify(pathToFileURL(path).href)};\n` +
      `const base = m.default ?? m;\n` +
      `export default { ...base, SCHEMAS: Object.fromEntries(Object.entries(base.SCHEMAS).map(([k, s]) => [k, { ...s, client_config: { ...(s.client_config ?? {}), writer_thread: false } }])) };\n`,
  );
  return out;
}

/** The process and its descendants (karbon's `--workers` are child processes). */
function processTree(pid: number): number[] {
  const parent = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ")[1]);
      parent.set(ppid, [...(parent.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(parent.get(out[i]) ?? []));
  return out;
}

/**
 * CPU seconds (user + system: steadier than wall time on a shared machine) of the process tree, split into each process's main thread
 * (parsing, routing, staging and, unless it has a writer thread, SQLite)
 * and every other thread (SQLite writer threads, GC helpers, libuv).
 */
function cpuByThread(pid: number): { main: number; other: number } {
  let main = 0;
  let other = 0;
  for (const p of processTree(pid)) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const fields = readFileSync(`/proc/${p}/task/${tid}/stat`, "utf8").split(") ")[1].split(" ");
        const s = (Number(fields[11]) + Number(fields[12])) / 100;
        if (tid === String(p)) main += s;
        else other += s;
      } catch {
        // the thread ended meanwhile (its time is then lost from the split)
      }
    }
  }
  return { main, other };
}

/** Peak RSS of the process tree: the sum of each process's own peak (an upper bound when there are several). */
function peakRssMb(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
    total += m ? Number(m[1]) / 1024 : Number.NaN;
  }
  return total;
}

/**
 * Receipt-to-readable latency at the default flush interval: one point at a
 * time on an idle karbon, polled from the store until it is there.
 */
async function readableLatency(): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "torus-bench-latency-"));
  const configPath = join(dir, "latency.ts");
  const db = join(dir, "latency.db");
  writeFileSync(configPath, `export const SCHEMAS = { c: { type: "count", host: "sqlite:///${db}", match: "^lat\\.", intervals: { minute: { step: 60 } } } };`);
  const karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--config", configPath], {}, true);
  const log = await karbon.waitForLog("karbon listening");
  const registry = new StoreRegistry();
  const rt = await buildRuntime(await loadConfig([configPath]), registry);
  const ts = rt.schema("c")!.series;
  const out: number[] = [];
  for (let i = 0; i < 20; i++) {
    const now = Math.floor(Date.now() / 1000);
    const t0 = process.hrtime.bigint();
    await send(log.tcp.port, Buffer.from(`lat.p${i} 1 ${now}\n`));
    while ((await ts.get(`lat.p${i}`, "minute", { timestamp: now })) !== 1) await new Promise((r) => setTimeout(r, 5));
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await new Promise((r) => setTimeout(r, 137)); // land at different points of the flush cycle
  }
  await registry.closeAll();
  karbon.kill("SIGTERM");
  await karbon.exited;
  rmSync(dir, { recursive: true, force: true });
  return out;
}

const loadStart = loadavg().map((x) => x.toFixed(2)).join(" ");
const rows: Array<Array<string | number>> = [];
for (const sc of scenarios.filter((s) => s.label.includes(ONLY))) {
  const rates: number[] = [];
  const accept: number[] = [];
  const rss: number[] = [];
  const cpu: number[] = [];
  const cpuMain: number[] = [];
  const cpuOther: number[] = [];
  const probes: number[] = [];
  const rowsPerLine: number[] = [];
  const flushes: number[] = [];
  const spooled: number[] = [];
  let check = "";
  for (let run = 0; run < RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), "torus-bench-ingest-"));
    const configPath = NO_WRITER_THREAD ? withoutWriterThread(dir, sc.config(dir)) : sc.config(dir);
    const spoolConfig = join(dir, "spool.ts");
    if (SPOOL) writeFileSync(spoolConfig, `export const SPOOL_DIR = ${JSON.stringify(join(dir, "spool"))};`);
    const now = Math.floor(Date.now() / 1000);
    // Build the payload before the clock starts: one buffer per connection.
    const per = Math.ceil(LINES / CONNECTIONS);
    const payloads = Array.from({ length: CONNECTIONS }, (_, c) => {
      const parts: string[] = [];
      for (let i = c * per; i < Math.min(LINES, (c + 1) * per); i++) parts.push(sc.line(i, now));
      return PROTOCOL === "pickle" ? picklePayload(parts) : Buffer.from(parts.join(""));
    });
    const karbon: Spawned = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--pickle", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--workers", String(WORKERS), "--config", configPath, ...(SPOOL ? ["--config", spoolConfig] : [])], { TORUS_DATA: dir, ...(process.env.KARBON_NODE_OPTIONS ? { NODE_OPTIONS: process.env.KARBON_NODE_OPTIONS } : {}) }, true, process.env.KARBON_NODE_ARGS?.split(" ") ?? []);
    const log = await karbon.waitForLog("karbon listening");
    const cpu0 = cpuByThread(karbon.proc.pid!);
    const t0 = process.hrtime.bigint();
    let heapPeak = 0;
    let externalPeak = 0;
    let heapTotalPeak = 0;
    const mem: Record<string, number> = {};
    await Promise.all(payloads.map((p) => send(PROTOCOL === "pickle" ? log.pickle.port : log.tcp.port, p)));
    const tSent = process.hrtime.bigint();
    // Each scrape costs karbon about 0.6 ms (prom-client's process metrics):
    // every 10 ms that took ~6% of its time, so probe every PROBE_MS (the end
    // time is then late by at most that much).
    let polls = 0;
    for (;;) {
      polls++;
      const m = await metrics(log.metrics.port);
      const seen = (m.karbon_points_received_total ?? 0) + (m.karbon_bad_lines_total ?? 0);
      heapPeak = Math.max(heapPeak, m.karbon_nodejs_heap_size_used_bytes ?? 0);
      heapTotalPeak = Math.max(heapTotalPeak, m.karbon_nodejs_heap_size_total_bytes ?? 0);
      if (MEMORY) {
        const st = readFileSync(`/proc/${karbon.proc.pid}/status`, "utf8");
        for (const f of ["RssAnon", "RssFile", "RssShmem"]) mem[f] = Math.max(mem[f] ?? 0, Number(new RegExp(`${f}:\\s+(\\d+)`).exec(st)?.[1] ?? 0) / 1024);
      }
      externalPeak = Math.max(externalPeak, m.karbon_nodejs_external_memory_bytes ?? 0);
      if (seen >= LINES && (m.karbon_buffer_rows ?? 0) === 0) break;
      await new Promise((r) => setTimeout(r, PROBE_MS));
    }
    const t1 = process.hrtime.bigint();
    const m = await metrics(log.metrics.port);
    rss.push(peakRssMb(karbon.proc.pid!));
    if (MEMORY) console.error(`${JSON.stringify(mem)} heap total peak ${(heapTotalPeak / 2 ** 20).toFixed(0)} heap used peak ${(heapPeak / 2 ** 20).toFixed(0)} MB, external ${(externalPeak / 2 ** 20).toFixed(0)} MB, rss ${rss.at(-1)!.toFixed(0)} MB`);
    rowsPerLine.push((m.karbon_rows_written_total ?? 0) / LINES);
    flushes.push(m.karbon_flush_seconds_count ?? 0);
    spooled.push(m.karbon_spool_appended_points_total ?? 0);
    const cpu1 = cpuByThread(karbon.proc.pid!);
    cpu.push(((cpu1.main + cpu1.other - cpu0.main - cpu0.other) * 1e6) / LINES);
    cpuMain.push(((cpu1.main - cpu0.main) * 1e6) / LINES);
    cpuOther.push(((cpu1.other - cpu0.other) * 1e6) / LINES);
    probes.push(polls);
    karbon.kill("SIGTERM");
    await karbon.exited;
    if ((m.karbon_bad_lines_total ?? 0) > 0 || (m.karbon_dead_letters_total ?? 0) > 0) throw new Error(`bad lines or dead letters: ${JSON.stringify(m)}`);
    check = await sc.verify(dir, configPath, now);
    rates.push(LINES / (Number(t1 - t0) / 1e9));
    accept.push(LINES / (Number(tSent - t0) / 1e9));
    rmSync(dir, { recursive: true, force: true });
  }
  rows.push([
    sc.label,
    Math.round(median(rates)),
    Math.round(Math.min(...rates)),
    Math.round(median(accept)),
    Number(median(rss).toFixed(0)),
    Number(median(cpu).toFixed(2)),
    `${median(cpuMain).toFixed(2)} / ${median(cpuOther).toFixed(2)}`,
    Number(median(rowsPerLine).toFixed(2)),
    median(flushes),
    median(spooled),
    median(probes),
    check,
  ]);
}

const latency = await readableLatency();
console.log(`\nkarbon ingest (${PROTOCOL}${TAGGED ? ", tagged names" : ""}${SPOOL ? ", SPOOL_DIR set" : ""}): ${LINES.toLocaleString("en-US")} lines, ${NAMES.toLocaleString("en-US")} names, ${CONNECTIONS} connections, ${RUNS} runs, node ${process.version}, load ${loadStart} at start, ${loadavg().map((x) => x.toFixed(2)).join(" ")} at end\n`);
printTable(["scenario", "lines/s end-to-end (median)", "min", "lines/s accepted", "peak RSS MB", "karbon CPU µs/line", "main / other threads", "store rows/line", "flushes", "points spooled", "probes", "completeness"], rows);
console.log(`\nreceipt → readable in the store (default flush interval, 20 points): median ${median(latency).toFixed(0)} ms, max ${Math.max(...latency).toFixed(0)} ms`);
