/**
 * What one `/render` request costs over HTTP, end to end, with the window
 * warm: a SQLite file holding 1,000 count stats × one day of minute buckets
 * (1.44M buckets), the real query app (buildQueryApp, access log on, to
 * /dev/null) listening on 127.0.0.1, and a client in a worker thread (its own
 * event loop, as a browser is another process) sending keep-alive requests.
 *
 *   npx tsx bench/render-local.ts [--runs 200] [--only one,panel]
 *
 * Per row: one client's median and p99 of sequential requests, then 8
 * clients at once for a bounded time (req/s). Each body is checked once
 * against the expected series count and points.
 */
import { mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { pino } from "pino";
import { compileConfig } from "../src/config/index.js";
import { buildQueryApp } from "../src/query/query-app.js";
import { buildRuntime } from "../src/runtime/runtime.js";
import { StoreRegistry, WriteBatch } from "../src/timeseries/index.js";
import { median, percentile, printTable } from "./bench-util.js";

const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const runs = Number(arg("--runs")) || 200;
const only = arg("--only")?.split(",");
const NAMES = 1_000;
const DAY = 1_440;
const dir = mkdtempSync(join(tmpdir(), "torus-render-local-"));
const url = `sqlite:///${join(dir, "render.db")}`;
const NOW = Math.floor(Date.now() / 1000 / 60) * 60;

const runtime = await buildRuntime(
  compileConfig({
    MAX_STATS: 5_000,
    MAX_BUCKETS: 10_000_000,
    SCHEMAS: { app: { type: "count", match: "^app\\.", prefix: "app", host: url, intervals: { minute: { step: 60, steps: 2 * DAY } } } },
  }),
  new StoreRegistry(),
);
const schema = runtime.schemas[0];
const names = Array.from({ length: NAMES }, (_, i) => `app.${i}.latency`);
const t0 = Date.now();
const first0 = NOW - (DAY - 1) * 60;
for (let m = 0; m < DAY; m += 60) {
  const batch = new WriteBatch();
  for (let n = 0; n < NAMES; n++) for (let k = 0; k < 60; k++) schema.series.stage(batch, names[n], ((n * 31 + m + k) % 97) + 0.25, first0 + (m + k) * 60);
  await schema.store.write(batch);
}
const filled = Date.now() - t0;

const logger = pino({ level: "info" }, pino.destination({ dest: openSync("/dev/null", "w"), sync: true }));
const app = buildQueryApp({ runtime: () => runtime, clock: () => NOW, logger });
await app.listen({ host: "127.0.0.1", port: 0 });
const port = (app.server.address() as { port: number }).port;

const range = (h: number) => `from=${NOW - h * 3600}&until=${NOW}`;
const panel = Array.from({ length: 20 }, (_, i) => `target=app.${i * 7}.latency`).join("&");
const CASES: Array<{ key: string; label: string; path: string; series: number; target: string }> = [
  { key: "one", label: "one series, 1 h", path: `/render?target=app.7.latency&${range(1)}&format=json`, series: 1, target: "≤ 0.5" },
  { key: "panel", label: "20-target panel × 1,440", path: `/render?${panel}&${range(24)}&maxDataPoints=1000&format=json`, series: 20, target: "≤ 5" },
  { key: "sum", label: "sumSeries(app.*.latency) 24 h", path: `/render?target=sumSeries(app.*.latency)&${range(24)}&maxDataPoints=1000&format=json`, series: 1, target: "≤ 45" },
  { key: "ma", label: "aliasByNode(movingAverage(app.*.latency,10),1) 24 h", path: `/render?target=aliasByNode(movingAverage(app.*.latency,10),1)&${range(24)}&format=json`, series: NAMES, target: "≤ 140" },
];

// The client: keep-alive agents, one per concurrent client; timings taken in the worker.
const CLIENT = `
const { parentPort } = require("node:worker_threads");
const http = require("node:http");
const get = (agent, port, path) => new Promise((resolve, reject) => {
  const t0 = process.hrtime.bigint();
  http.get({ host: "127.0.0.1", port, path, agent }, (res) => {
    const chunks = [];
    res.on("data", (c) => chunks.push(c));
    res.on("end", () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode, body: Buffer.concat(chunks).toString() }));
  }).on("error", reject);
});
parentPort.on("message", async ({ port, path, runs, clients, seconds }) => {
  const agents = Array.from({ length: clients }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const first = await get(agents[0], port, path);
  for (let i = 0; i < 5; i++) await get(agents[0], port, path);
  const times = [];
  const t0 = Date.now();
  for (let i = 0; i < runs && (i < 20 || Date.now() - t0 < seconds * 3000); i++) times.push((await get(agents[0], port, path)).ms);
  let done = 0;
  const until = Date.now() + seconds * 1000;
  const c0 = process.hrtime.bigint();
  await Promise.all(agents.map(async (a) => { while (Date.now() < until) { await get(a, port, path); done++; } }));
  const rps = done / (Number(process.hrtime.bigint() - c0) / 1e9);
  for (const a of agents) a.destroy();
  parentPort.postMessage({ first: { status: first.status, body: first.body }, times, rps });
});
`;
const worker = new Worker(CLIENT, { eval: true });
const ask = (msg: object) =>
  new Promise<{ first: { status: number; body: string }; times: number[]; rps: number }>((resolve) => {
    worker.once("message", resolve);
    worker.postMessage(msg);
  });

const rows: Array<Array<string | number>> = [];
for (const c of CASES) {
  if (only && !only.includes(c.key)) continue;
  const heavy = c.key === "sum" || c.key === "ma";
  const r = await ask({ port, path: c.path, runs: heavy ? Math.min(runs, 30) : runs, clients: 8, seconds: heavy ? 4 : 2 });
  if (r.first.status !== 200) throw new Error(`${c.label}: status ${r.first.status}: ${r.first.body.slice(0, 300)}`);
  const body = JSON.parse(r.first.body) as Array<{ datapoints: unknown[] }>;
  if (body.length !== c.series || body.some((s) => s.datapoints.length === 0)) throw new Error(`${c.label}: expected ${c.series} series with points, got ${body.length}`);
  rows.push([c.label, median(r.times), percentile(r.times, 99), r.times.length, r.rps, c.target]);
}

console.log(`/render over HTTP, SQLite, ${NAMES.toLocaleString("en-US")} count stats × ${DAY.toLocaleString("en-US")} minutes (filled in ${filled} ms), window warm; ms\n`);
printTable(["request", "1 client median", "p99", "n", "8 clients req/s", "target median"], rows);

await worker.terminate();
await app.close();
for (const s of new Set(runtime.schemas.map((x) => x.store))) await s.close();
rmSync(dir, { recursive: true, force: true });
