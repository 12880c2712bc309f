/**
 * Query server benchmark (issue 5): a SQLite store holding 10,000 stats ×
 * one day of minute buckets, a real `torus` process serving it, and
 * autocannon load on the requests a dashboard makes.
 *
 *   npx tsx bench/query.ts [seconds per run, default 10] [torus flags, e.g. --workers 2]
 *
 * Targets (2-core machine): one stat × 60 buckets, one client: median ≤ 0.7 ms;
 * one stat × 1,440 buckets at 32 connections: p99 ≤ 15 ms and ≥ 2,000 req/s;
 * `torus start` ready ≤ 1.5 s after launch (measured from the built bin/torus).
 *
 * Every row runs twice, against a server with the /series response cache
 * (the default) and one started with `--no-cache`: a dashboard repeats its
 * requests, so the cached figure is the common case, the uncached one the
 * cost of a first or changed request. Each row draws from a fixed list of
 * random requests (1,000 distinct for the single-stat rows, 200 for the
 * 20-stat one). With the cache on, every request of the list is asked once
 * before the timed run (the dashboards' previous refresh), so the run
 * measures the steady state; a minute boundary during the run still moves
 * the range of every request, a cold pass the hit share shows. The hit share
 * comes from the server's own counters (one process only: with workers,
 * /metrics answers for whichever worker takes the connection).
 *
 * The store is built once under .bench/ and rebuilt when older than an hour
 * (the queries read the day ending now). Latency percentiles come from each
 * response's own timing (autocannon's histogram rounds to whole ms).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { openStore, Timeseries, WriteBatch } from "../src/timeseries/index.js";
import { percentile, printTable } from "./bench-util.js";

const ROOT = join(import.meta.dirname, "..");
const DIR = join(ROOT, ".bench", "query");
const DB = join(DIR, "bench.db");
const STATS = 10_000;
const MINUTES = 1440;
const SECONDS = Number(process.argv[2] ?? 10);
const name = (i: number) => `bench.app${String(i % 100).padStart(2, "0")}.stat${String(i).padStart(5, "0")}`;
const INTERVALS = { minute: { step: 60, steps: MINUTES } };
/** What a built store holds: rebuilt when this changes. */
const MARK = `${STATS} stats under prefix bench`;

async function buildStore(): Promise<void> {
  const fresh = existsSync(DB) && Date.now() - statSync(DB).mtimeMs < 3600_000 && readFileSync(join(DIR, "stats"), "utf8") === MARK;
  if (fresh) return;
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const store = await openStore(`sqlite:///${DB}`);
  // Under the prefix the "bench" schema reads (its name, the default).
  const ts = new Timeseries(store, { type: "count", intervals: INTERVALS, prefix: "bench" });
  const now = Math.floor(Date.now() / 1000);
  const first = now - (now % 60) - (MINUTES - 1) * 60;
  const started = Date.now();
  for (let s = 0; s < STATS; s += 100) {
    const batch = new WriteBatch();
    for (let i = s; i < s + 100; i++) {
      const n = name(i);
      for (let m = 0; m < MINUTES; m++) ts.stage(batch, n, 1 + ((i + m) % 17), first + m * 60, 0, now);
    }
    await store.write(batch);
    if (s % 1000 === 0) process.stderr.write(`\rbuilding store: ${s}/${STATS} stats`);
  }
  await store.close();
  writeFileSync(join(DIR, "stats"), MARK);
  process.stderr.write(`\rbuilt ${STATS} stats × ${MINUTES} minute buckets in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitHttp(url: string, proc: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`${url} not ready in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Row {
  label: string;
  cache: string;
  hits: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function cacheCounters(base: string): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  return { hits: read("torus_series_cache_hits_total"), misses: read("torus_series_cache_misses_total") };
}

/** Ask each request once, a few at a time: what the previous refresh of every dashboard left in the cache. */
async function prime(base: string, paths: string[]): Promise<void> {
  let k = 0;
  await new Promise<void>((resolve, reject) =>
    autocannon({ url: base, connections: 4, amount: paths.length, requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: paths[k++ % paths.length] }) }] }, (err) => (err ? reject(err) : resolve())),
  );
}

async function load(label: string, base: string, connections: number, paths: string[], cache = "off", workers = 1): Promise<Row> {
  const before = await cacheCounters(base);
  const times: number[] = [];
  let k = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: base,
        connections,
        duration: SECONDS,
        requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: paths[k++ % paths.length] }) }],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status === 200) times.push(ms);
    });
  });
  const after = await cacheCounters(base);
  const served = after.hits - before.hits + (after.misses - before.misses);
  const hits = cache === "off" ? "-" : workers > 1 || served === 0 ? "n/a" : `${Math.round((100 * (after.hits - before.hits)) / served)}%`;
  return { label, cache, hits, connections, rps: result.requests.average, p50: percentile(times, 50), p99: percentile(times, 99), errors: result.errors + result.non2xx };
}

async function startupTime(): Promise<number | null> {
  const bin = join(ROOT, "dist", "cli", "torus-main.js");
  if (!existsSync(bin)) return null;
  const data = mkdtempSync(join(tmpdir(), "torus-bench-start-"));
  const http = await freePort();
  const carbon = await freePort();
  const started = performance.now();
  const proc = spawn(process.execPath, [join(ROOT, "bin", "torus"), "start", "--tcp", `127.0.0.1:${http}`, "--karbon", `127.0.0.1:${carbon}`], {
    env: { ...process.env, TORUS_DATA: data },
    stdio: "ignore",
  });
  try {
    await waitHttp(`http://127.0.0.1:${http}/list`, proc);
    return performance.now() - started;
  } finally {
    proc.kill("SIGTERM");
    await new Promise((r) => proc.once("exit", r));
    rmSync(data, { recursive: true, force: true });
  }
}

/** Start a torus process on the bench store and run every row against it. */
async function serve(config: string, extra: string[]): Promise<Row[]> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const cache = extra.includes("--no-cache") ? "off" : "on";
  const at = extra.indexOf("--workers");
  const workers = at >= 0 ? Number(extra[at + 1]) : 1;
  // A real server process (as deployed: access log on, written to a file).
  const log = openSync(join(DIR, `torus-${cache}.log`), "w");
  const server = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "torus-main.ts"), "--tcp", `127.0.0.1:${port}`, "--config", config, ...extra], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", log],
    env: { ...process.env, ...(process.env.TORUS_BENCH_PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${DIR}` } : {}) },
  });
  closeSync(log);
  try {
    await waitHttp(`${base}/list?schema=bench`, server);
    const stat = (i: number) => encodeURIComponent(`avg(${name(i)})`);
    const rand = () => Math.floor(Math.random() * STATS);
    const paths = (n: number, make: () => string) => Array.from({ length: n }, make);
    // Warm up: JIT and SQLite page cache (these requests are not the rows' ones, so the response cache stays cold).
    await load("warm-up", base, 8, paths(500, () => `/series?stat=${stat(rand())}&interval=minute&steps=1440`));
    const row = async (label: string, connections: number, list: string[]) => {
      if (cache === "on") await prime(base, list);
      return load(label, base, connections, list, cache, workers);
    };
    return [
      await row("1 stat × 60 buckets", 1, paths(1000, () => `/series?stat=${stat(rand())}&interval=minute&steps=60`)),
      await row("1 stat × 1,440 buckets", 32, paths(1000, () => `/series?stat=${stat(rand())}&interval=minute&steps=1440`)),
      await row("20 stats × 1,440 buckets", 32, paths(200, () => `/series?${Array.from({ length: 20 }, () => `stat=${stat(rand())}`).join("&")}&interval=minute&steps=1440`)),
      await row("1 stat × 1,440, one client", 1, paths(1000, () => `/series?stat=${stat(rand())}&interval=minute&steps=1440`)),
    ];
  } finally {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
}

async function main(): Promise<void> {
  await buildStore();
  const config = join(DIR, "bench.config.ts");
  writeFileSync(config, `export const SCHEMAS = { bench: { type: "count", host: ${JSON.stringify(`sqlite:///${DB}`)}, match: "^bench\\\\.", intervals: ${JSON.stringify(INTERVALS)} } };\n`);
  const extra = process.argv.slice(3).filter((a) => a !== "--no-cache");
  const rows = [...(await serve(config, extra)), ...(await serve(config, [...extra, "--no-cache"]))];
  console.log(`\n/series on SQLite, ${STATS.toLocaleString("en-US")} stats × ${MINUTES.toLocaleString("en-US")} minute buckets, ${SECONDS} s per run${extra.length ? ` (torus ${extra.join(" ")})` : ""} (node ${process.version})\n`);
  printTable(
    ["request", "cache", "hits", "connections", "requests/s", "p50 ms", "p99 ms", "errors"],
    rows.map((r) => [r.label, r.cache, r.hits, r.connections, Math.round(r.rps), r.p50, r.p99, r.errors]),
  );
  const ready = await startupTime();
  console.log(`\ntorus start ready (bin/torus, built): ${ready === null ? "n/a (run npm run build)" : `${Math.round(ready)} ms`}`);
}

await main();
