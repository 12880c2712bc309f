/**
 * Graphite render API benchmark (issue 16's Targets table): graphite-web and torus measured in the same run on
 * the same data.
 *
 *   npx tsx bench/render.ts [--quick] [--workers N] [--only torus|graphite-web] [--row N]
 *
 * graphite-web: Debian's graphite-web 1.1.8 under gunicorn (2 workers), over whisper files written directly
 * with python3-whisper (bench/render-graphite-web.py): app.<i>.latency, 1,000 series × 1,440 minute points
 * ending now, and 100,000 names f.l1_<a>.l2_<b>.m<c> for find. torus: one process on a SQLite file holding the
 * same 1,000 series × 1,440 points (written through the timeseries library's batch path, as karbon's flush
 * writes) and 1,000,000 names in the same tree (so f.l1_3.* has 100 children in both, and f.*.l2_5*.m1* matches
 * 1,210 names in graphite-web and 12,100 in torus).
 *
 * Each row: one client asking one request after another (median and p99 of its own timings; at least 5 requests
 * or RUN seconds), then 8 connections for RUN seconds (requests per second). The 20-target panel and the one-series
 * row draw random series per request. `--quick`: 100 series, 40,000 names on both sides, shorter runs.
 * `--only torus|graphite-web` measures one side, `--row N` (1-6) one row: to repeat a figure without the whole run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { openStore, Timeseries, WriteBatch } from "../src/timeseries/index.js";
import { fmt, percentile, printTable } from "./bench-util.js";

const ROOT = join(import.meta.dirname, "..");
const QUICK = process.argv.includes("--quick");
const SERIES = QUICK ? 100 : 1_000;
const WEB_NAMES = QUICK ? 40_000 : 100_000;
const TORUS_NAMES = QUICK ? 40_000 : 1_000_000;
const RUN_S = QUICK ? 2 : 5;
const MINUTES = 1440;
const flag = (name: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const ONLY = flag("--only");
const ROW = flag("--row");
/** `--workers N`: torus serves from N processes (graphite-web runs 2 gunicorn workers). */
const WORKERS = Number(flag("--workers") ?? 1);
if (!Number.isInteger(WORKERS) || WORKERS < 1) throw new Error(`--workers: a whole number ≥ 1, not ${flag("--workers")}`);

/** The same values bench/render-graphite-web.py writes into whisper. */
const value = (i: number, m: number) => ((i * 7 + m * 3) % 97) + 0.5;
const findName = (n: number) => `f.l1_${Math.floor(n / 10000)}.l2_${Math.floor(n / 100) % 100}.m${n % 100}`;

interface Row {
  request: string;
  target: string;
  paths: () => string;
}

const rand = () => Math.floor(Math.random() * SERIES);
const q = (s: string) => encodeURIComponent(s);
const ROWS: Row[] = [
  { request: "sumSeries(app.*.latency), 24 h, maxDataPoints=1000", target: "≤ 1/10 median, ≥ 10× req/s", paths: () => `/render?target=${q("sumSeries(app.*.latency)")}&from=-24h&until=now&format=json&maxDataPoints=1000` },
  { request: "aliasByNode(movingAverage(app.*.latency,10),1), 24 h", target: "≤ 1/10 median, ≥ 10× req/s", paths: () => `/render?target=${q("aliasByNode(movingAverage(app.*.latency,10),1)")}&from=-24h&until=now&format=json` },
  {
    request: "a 20-target panel × 1,440 points",
    target: "median ≤ 5 ms",
    paths: () => `/render?${Array.from({ length: 20 }, () => `target=app.${rand()}.latency`).join("&")}&from=-24h&until=now&format=json&maxDataPoints=1500`,
  },
  { request: "one series, 1 h", target: "median ≤ 0.5 ms", paths: () => `/render?target=app.${rand()}.latency&from=-1h&until=now&format=json` },
  { request: "/metrics/find?query=f.l1_3.* (100 children)", target: "median ≤ 2 ms", paths: () => `/metrics/find?query=${q("f.l1_3.*")}` },
  { request: "/metrics/find?query=f.*.l2_5*.m1*", target: "median ≤ 10 ms", paths: () => `/metrics/find?query=${q("f.*.l2_5*.m1*")}` },
].filter((_, i) => ROW === undefined || i === Number(ROW) - 1);

interface Measured {
  median: number;
  p99: number;
  rps: number;
  errors: number;
  bytes: number;
}

async function oneClient(base: string, row: Row): Promise<{ median: number; p99: number; errors: number; bytes: number }> {
  const times: number[] = [];
  let errors = 0;
  let bytes = 0;
  const until = performance.now() + RUN_S * 1000;
  while (times.length < 5 || (performance.now() < until && times.length < 2000)) {
    const t0 = performance.now();
    const res = await fetch(base + row.paths());
    const text = await res.text();
    times.push(performance.now() - t0);
    bytes = text.length;
    if (res.status !== 200 && errors++ === 0) process.stderr.write(`  a ${res.status}: ${text.slice(0, 300)}\n`);
  }
  return { median: percentile(times, 50), p99: percentile(times, 99), errors, bytes };
}

/**
 * 8 connections: completed 200 answers per second (a connection graphite-web closes is reopened, not an error).
 * For RUN_S seconds, or long enough for each connection to finish about two requests at the 1-client median
 * (at most 60 s), so a slow row still completes some.
 */
function eightClients(base: string, row: Row, medianMs: number): Promise<{ rps: number; errors: number; seconds: number }> {
  const seconds = Math.min(60, Math.max(RUN_S, Math.ceil((2 * 8 * medianMs) / 1000)));
  return new Promise((resolve, reject) => {
    let ok = 0;
    let bad = 0;
    const instance = autocannon(
      { url: base, connections: 8, duration: seconds, timeout: 120, requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: row.paths() }) }] },
      (err, res) => (err ? reject(err) : resolve({ rps: ok / seconds, errors: bad + res.timeouts, seconds })),
    );
    instance.on("response", (_client, status) => {
      if (status === 200) ok++;
      else if (bad++ === 0) process.stderr.write(`  8 clients: a ${status}\n`);
    });
  });
}

async function measure(label: string, base: string): Promise<Measured[]> {
  const out: Measured[] = [];
  for (const row of ROWS) {
    // One request first: imports, JIT, page cache (graphite-web's workers, torus's index).
    await fetch(base + row.paths()).then((r) => r.text());
    const one = await oneClient(base, row);
    const eight = await eightClients(base, row, one.median);
    out.push({ median: one.median, p99: one.p99, rps: eight.rps, errors: one.errors + eight.errors, bytes: one.bytes });
    process.stderr.write(`${label}: ${row.request}: median ${fmt(one.median)} ms, ${fmt(eight.rps)} req/s over ${eight.seconds} s\n`);
  }
  return out;
}

/** graphite-web over its own whisper files; resolves with its URL and a stop function. */
async function startGraphiteWeb(): Promise<{ url: string; build: number; stop: () => Promise<void> }> {
  const proc = spawn("/usr/bin/python3", [join(ROOT, "bench", "render-graphite-web.py"), String(SERIES), String(WEB_NAMES)], { stdio: ["pipe", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.once("line", resolve);
    proc.once("exit", (code) => reject(new Error(`render-graphite-web.py exited with ${code}`)));
  });
  const info = JSON.parse(line) as { url: string; build_s: number };
  return {
    url: info.url,
    build: info.build_s,
    stop: async () => {
      proc.stdin!.end();
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once("exit", r)));
    },
  };
}

/** The same series and names in a SQLite file, written in batches as karbon's flush writes them. */
async function buildTorusStore(db: string): Promise<number> {
  const started = performance.now();
  const store = await openStore(`sqlite:///${db}`);
  const intervals = { minute: { step: 60, steps: MINUTES } };
  const app = new Timeseries(store, { type: "gauge", intervals, prefix: "app" });
  const names = new Timeseries(store, { type: "gauge", intervals, prefix: "names" });
  const now = Math.floor(Date.now() / 1000);
  const first = now - (now % 60) - (MINUTES - 1) * 60;
  for (let s = 0; s < SERIES; s += 10) {
    const batch = new WriteBatch();
    for (let i = s; i < Math.min(SERIES, s + 10); i++) for (let m = 0; m < MINUTES; m++) app.stage(batch, `app.${i}.latency`, value(i, m), first + m * 60, 0, now);
    await store.write(batch);
  }
  for (let s = 0; s < TORUS_NAMES; s += 20_000) {
    const batch = new WriteBatch();
    for (let n = s; n < Math.min(TORUS_NAMES, s + 20_000); n++) names.stage(batch, findName(n), 1, now, 0, now);
    await store.write(batch);
    process.stderr.write(`\rtorus store: ${Math.min(TORUS_NAMES, s + 20_000).toLocaleString("en-US")} names`);
  }
  process.stderr.write("\n");
  await store.close();
  return (performance.now() - started) / 1000;
}

function rssMb(proc: ChildProcess): number {
  const status = readFileSync(`/proc/${proc.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function startTorus(dir: string, db: string): Promise<{ url: string; proc: ChildProcess; ready: number }> {
  const config = join(dir, "torus.config.ts");
  const host = `sqlite:///${db}`;
  const intervals = { minute: { step: 60, steps: MINUTES } };
  writeFileSync(
    config,
    // The render defaults (RENDER_MAX_SERIES, RENDER_MAX_POINTS) hold every row's reads.
    `export const SCHEMAS = ${JSON.stringify({ app: { type: "gauge", host, match: "^app\\.", intervals }, names: { type: "gauge", host, match: "^f\\.", intervals } })};\n`,
  );
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "torus-main.ts"), "--tcp", `127.0.0.1:${port}`, "--config", config, "--workers", String(WORKERS)], { cwd: ROOT, stdio: ["ignore", "ignore", openSync(join(dir, "torus.log"), "w")] });
  // Ready when find sees the last names written (the index loads in the background): 100 children under the last node.
  const last = `f.l1_${Math.floor((TORUS_NAMES - 1) / 10000)}.l2_99.*`;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`torus exited with ${proc.exitCode}`);
    try {
      const res = await fetch(`${url}/metrics/find?query=${q(last)}`);
      if (res.ok && ((await res.json()) as unknown[]).length === 100) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 600_000) throw new Error("torus did not index the names in 10 minutes");
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, proc, ready: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "torus-bench-render-"));
  try {
    process.stderr.write(`graphite-web: ${SERIES} whisper series, ${WEB_NAMES.toLocaleString("en-US")} names…\n`);
    const none: Measured[] = ROWS.map(() => ({ median: NaN, p99: NaN, rps: NaN, errors: 0, bytes: 0 }));
    let webRows = none;
    let webBuild = NaN;
    if (ONLY !== "torus") {
      const web = await startGraphiteWeb();
      webBuild = web.build;
      try {
        webRows = await measure("graphite-web", web.url);
      } finally {
        await web.stop();
      }
    }
    let torusRows = none;
    let build = NaN;
    let ready = NaN;
    let rss = 0;
    if (ONLY !== "graphite-web") {
      const db = join(dir, "bench.db");
      build = await buildTorusStore(db);
      const torus = await startTorus(dir, db);
      ready = torus.ready;
      try {
        torusRows = await measure("torus", torus.url);
        rss = rssMb(torus.proc);
      } finally {
        torus.proc.kill("SIGTERM");
        await new Promise((r) => (torus.proc.exitCode !== null ? r(null) : torus.proc.once("exit", r)));
      }
    }
    console.log(
      `\nGraphite render API, 2 cores: graphite-web 1.1.8 (Debian, gunicorn 2 workers, ${SERIES.toLocaleString("en-US")} whisper series × ${MINUTES} minute points, ${WEB_NAMES.toLocaleString("en-US")} names; built in ${webBuild} s) ` +
        `and torus (${WORKERS === 1 ? "1 process" : `${WORKERS} workers; RSS of the primary only`}, SQLite, the same series, ${TORUS_NAMES.toLocaleString("en-US")} names; store built in ${build.toFixed(1)} s, find ready ${ready.toFixed(1)} s after start, RSS ${rss.toFixed(0)} MB after the run); ` +
        `1 client: ≥ 5 requests or ${RUN_S} s; 8 clients: ${RUN_S} s or 2 requests each at the 1-client median, ≤ 60 s (node ${process.version})\n`,
    );
    printTable(
      ["request", "graphite-web median ms", "p99 ms", "8 clients req/s", "torus median ms", "p99 ms", "8 clients req/s", "median ratio", "req/s ratio", "target", "errors", "response KB"],
      ROWS.map((row, i) => {
        const w = webRows[i];
        const t = torusRows[i];
        const kb = (m: Measured) => (m.bytes ? fmt(m.bytes / 1024) : "-");
        return [row.request, w.median, w.p99, w.rps, t.median, t.p99, t.rps, `1/${fmt(w.median / t.median)}`, `${fmt(t.rps / w.rps)}×`, row.target, `${w.errors}/${t.errors}`, `${kb(w)}/${kb(t)}`];
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
