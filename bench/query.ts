/**
 * Query server benchmark (issue 5): a SQLite store holding 10,000 stats ×
 * one day of minute buckets, a real `torus` process serving it, and
 * autocannon load on the requests a dashboard makes.
 *
 *   npx tsx bench/query.ts [seconds per run, default 10]
 *
 * Targets (2-core machine): one stat × 60 buckets, one client: median ≤ 0.7 ms;
 * one stat × 1,440 buckets at 32 connections: p99 ≤ 15 ms and ≥ 2,000 req/s;
 * `torus start` ready ≤ 1.5 s after launch (measured from the built bin/torus).
 *
 * The store is built once under .bench/ and rebuilt when older than an hour
 * (the queries read the day ending now). Latency percentiles come from each
 * response's own timing (autocannon's histogram rounds to whole ms).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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

async function buildStore(): Promise<void> {
  const fresh = existsSync(DB) && Date.now() - statSync(DB).mtimeMs < 3600_000 && readFileSync(join(DIR, "stats"), "utf8") === String(STATS);
  if (fresh) return;
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const store = await openStore(`sqlite:///${DB}`);
  const ts = new Timeseries(store, { type: "count", intervals: INTERVALS });
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
  writeFileSync(join(DIR, "stats"), String(STATS));
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
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(label: string, base: string, connections: number, paths: string[]): Promise<Row> {
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
  return { label, connections, rps: result.requests.average, p50: percentile(times, 50), p99: percentile(times, 99), errors: result.errors + result.non2xx };
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

async function main(): Promise<void> {
  await buildStore();
  const config = join(DIR, "bench.config.ts");
  writeFileSync(config, `export const SCHEMAS = { bench: { type: "count", host: ${JSON.stringify(`sqlite:///${DB}`)}, match: "^bench\\\\.", intervals: ${JSON.stringify(INTERVALS)} } };\n`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // A real server process (as deployed: access log on, written to a file).
  const server = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "torus-main.ts"), "--tcp", `127.0.0.1:${port}`, "--config", config, ...process.argv.slice(3)], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...(process.env.TORUS_BENCH_PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${DIR}` } : {}) },
  });
  server.stderr!.resume();
  try {
    await waitHttp(`${base}/list?schema=bench`, server);
    const stat = (i: number) => encodeURIComponent(`avg(${name(i)})`);
    const rand = () => Math.floor(Math.random() * STATS);
    const paths = (n: number, make: () => string) => Array.from({ length: n }, make);
    // Warm up: JIT and SQLite page cache.
    await load("warm-up", base, 8, paths(500, () => `/series?stat=${stat(rand())}&interval=minute&steps=1440`));
    const rows: Row[] = [];
    rows.push(await load("1 stat × 60 buckets", base, 1, paths(1000, () => `/series?stat=${stat(rand())}&interval=minute&steps=60`)));
    rows.push(await load("1 stat × 1,440 buckets", base, 32, paths(1000, () => `/series?stat=${stat(rand())}&interval=minute&steps=1440`)));
    rows.push(await load("20 stats × 1,440 buckets", base, 32, paths(200, () => `/series?${Array.from({ length: 20 }, () => `stat=${stat(rand())}`).join("&")}&interval=minute&steps=1440`)));
    rows.push(await load("1 stat × 1,440, one client", base, 1, paths(1000, () => `/series?stat=${stat(rand())}&interval=minute&steps=1440`)));
    console.log(`\n/series on SQLite, ${STATS.toLocaleString("en-US")} stats × ${MINUTES.toLocaleString("en-US")} minute buckets, ${SECONDS} s per run (node ${process.version})\n`);
    printTable(
      ["request", "connections", "requests/s", "p50 ms", "p99 ms", "errors"],
      rows.map((r) => [r.label, r.connections, Math.round(r.rps), r.p50, r.p99, r.errors]),
    );
  } finally {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
  const ready = await startupTime();
  console.log(`\ntorus start ready (bin/torus, built): ${ready === null ? "n/a (run npm run build)" : `${Math.round(ready)} ms`}`);
}

await main();
