/**
 * `karbon --workers N`: several processes share the TCP port, each running
 * the whole pipeline for its connections, over one SQLite file; the
 * primary serves metrics and dead letters summed over them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import { SqliteStore } from "../src/timeseries/backends/sqlite/sqlite-store.js";
import { Timeseries } from "../src/timeseries/index.js";
import { eventually, jsonLogs, reapChildren, sendTcp, sleep, spawnCli } from "./helpers/processes.js";

const dir = mkdtempSync(join(tmpdir(), "torus-karbon-workers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => reapChildren());

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(" ").pop());
  return sum;
}

const db = join(dir, "c.db");
const config = join(dir, "c.ts");
writeFileSync(
  config,
  `export const SCHEMAS = { c: { type: "count", host: "sqlite:///${db}", match: "^c\\\\.", intervals: { minute: { step: 60 } } } };
export const AGGREGATES = [["c.all", "c.*"]];
export const FLUSH_INTERVAL = 100;
export const DEBUG = 1;
`,
);

it("two workers split the connections, add up in one store, and report summed metrics and dead letters", async () => {
  const k = spawnCli("karbon-main.ts", ["--workers", "2", "--tcp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", config]);
  const ready = await k.waitForLog("karbon listening");
  expect(ready.workers).toBe(2);
  const workerPids = new Set(jsonLogs(k.output()).filter((l) => l.msg === "karbon worker listening").map((l) => l.pid));
  expect(workerPids.size).toBe(2);
  const { port } = ready.tcp;
  const metricsPort = ready.metrics.port;

  const now = Math.floor(Date.now() / 1000);
  const connections = 8;
  const perConnection = 500;
  let expected = 0;
  const payloads: string[] = [];
  for (let c = 0; c < connections; c++) {
    let text = "";
    for (let i = 0; i < perConnection; i++) {
      const v = ((c * perConnection + i) % 5) + 1;
      expected += v;
      text += `c.n${i % 10} ${v} ${now}\n`;
    }
    payloads.push(`${text}dead.d${c % 3} 1 ${now}\n`);
  }
  // One connection at a time: the primary hands them to the workers in turn.
  for (const p of payloads) await sendTcp(port, p);

  const lines = connections * (perConnection + 1);
  await eventually(async () => (await metric(metricsPort, "karbon_points_received_total")) === lines && (await metric(metricsPort, "karbon_buffer_rows")) === 0, 20_000);
  expect(await metric(metricsPort, "karbon_dead_letters_total")).toBe(connections);
  const dead = (await (await fetch(`http://127.0.0.1:${metricsPort}/dead-letters`)).json()) as { total: number; names: Record<string, number> };
  expect(dead.total).toBe(connections);
  expect(dead.names).toEqual({ "dead.d0": 3, "dead.d1": 3, "dead.d2": 2 });
  // Both workers stored something.
  await eventually(() => new Set(jsonLogs(k.output()).filter((l) => l.msg === "DONE").map((l) => l.pid)).size === 2, 10_000);

  // A worker that dies is replaced, and karbon goes on accepting.
  const victim = [...workerPids][0];
  process.kill(victim, "SIGKILL");
  await eventually(() => jsonLogs(k.output()).some((l) => l.msg === "karbon worker died; starting another" && l.pid === victim), 10_000);
  await eventually(() => jsonLogs(k.output()).filter((l) => l.msg === "karbon worker listening").length === 3, 20_000);
  await sendTcp(port, `c.n0 1000 ${now}\n`);
  expected += 1000;

  k.kill("SIGHUP");
  await eventually(() => jsonLogs(k.output()).filter((l) => l.msg === "configuration reloaded").length === 2, 10_000);

  k.kill("SIGTERM");
  expect(await k.exited).toBe(0);
  expect(jsonLogs(k.output()).filter((l) => l.msg === "stopped cleanly")).toHaveLength(2);

  const store = new SqliteStore(`sqlite:///${db}`);
  try {
    const ts = new Timeseries(store, { type: "count", intervals: { minute: { step: 60 } }, prefix: "c" });
    const names = Array.from({ length: 10 }, (_, i) => `c.n${i}`);
    const sum = (await ts.get(names, "minute", { timestamp: now })) as number;
    expect(sum).toBe(expected);
    // The rollup, written by both workers into the same cell, adds up too.
    expect(await ts.get("c.all", "minute", { timestamp: now })).toBe(expected);
  } finally {
    await store.close();
  }
}, 90_000);

it("rejects a bad --workers or TORUS_HEAP_GROWTH in one line", async () => {
  const k = spawnCli("karbon-main.ts", ["--workers", "0", "--config", config]);
  expect(await k.exited).toBe(2);
  expect(k.output()).toMatch(/karbon: --workers: expected a whole number from 1 to 64, got "0"/);
  const h = spawnCli("karbon-main.ts", ["--config", config], { TORUS_HEAP_GROWTH: "lots" });
  expect(await h.exited).toBe(1);
  expect(h.output()).toMatch(/karbon: TORUS_HEAP_GROWTH: expected a whole number of percent from 0 \(V8's default\) to 1000, got "lots"/);
});

/** Whether a process is still running. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it("the primary killed with SIGKILL: every worker flushes what it accepted, says so, and exits", async () => {
  const slowDb = join(dir, "kill9.db");
  const slowConfig = join(dir, "kill9.ts");
  // Nothing flushes by timer: every point is still in a worker's buffer when the primary dies.
  writeFileSync(slowConfig, `export const SCHEMAS = { c: { type: "count", host: "sqlite:///${slowDb}", match: "^c\\\\.", intervals: { minute: { step: 60 } } } };\nexport const FLUSH_INTERVAL = 600000;\n`);
  const k = spawnCli("karbon-main.ts", ["--workers", "2", "--tcp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", slowConfig]);
  const ready = await k.waitForLog("karbon listening");
  const workerPids = jsonLogs(k.output()).filter((l) => l.msg === "karbon worker listening").map((l) => l.pid as number);
  expect(workerPids).toHaveLength(2);
  const now = Math.floor(Date.now() / 1000);
  const connections = 6;
  for (let c = 0; c < connections; c++) await sendTcp(ready.tcp.port, Array.from({ length: 50 }, (_, i) => `c.k${i % 5} ${c + 1} ${now}\n`).join(""));
  const expected = Array.from({ length: connections }, (_, c) => 50 * (c + 1)).reduce((a, b) => a + b, 0);
  await eventually(async () => (await metric(ready.metrics.port, "karbon_points_received_total")) === connections * 50);
  await eventually(() => new Set(jsonLogs(k.output()).filter((l) => l.msg === "DONE").map((l) => l.pid)).size === 0); // nothing flushed yet

  k.kill("SIGKILL");
  await eventually(() => workerPids.every((pid) => !alive(pid)), 20_000);
  const logs = jsonLogs(k.output());
  expect(logs.filter((l) => l.msg === "the primary process is gone; flushing what was accepted and exiting").map((l) => l.pid).sort()).toEqual([...workerPids].sort());
  expect(logs.filter((l) => l.msg === "stopped cleanly").map((l) => l.pid).sort()).toEqual([...workerPids].sort());

  const store = new SqliteStore(`sqlite:///${slowDb}`);
  try {
    const ts = new Timeseries(store, { type: "count", intervals: { minute: { step: 60 } }, prefix: "c" });
    expect(await ts.get(Array.from({ length: 5 }, (_, i) => `c.k${i}`), "minute", { timestamp: now })).toBe(expected);
  } finally {
    await store.close();
  }
}, 60_000);

it("workers that die at start (a store that cannot open) are restarted with a growing delay, not in a fork loop", async () => {
  const badConfig = join(dir, "bad-store.ts");
  writeFileSync(badConfig, `export const SCHEMAS = { c: { type: "count", host: "sqlite:///${join(dir, "no", "such", "dir", "x.db")}", match: "^c\\\\.", intervals: { minute: { step: 60 } } } };\n`);
  const k = spawnCli("karbon-main.ts", ["--workers", "2", "--tcp", "127.0.0.1:0", "--config", badConfig]);
  await k.waitForLog("karbon workers starting");
  const died = () => jsonLogs(k.output()).filter((l) => l.msg === "karbon worker died; starting another");
  await eventually(() => died().length >= 4, 40_000, 50);
  const deaths = died().slice(0, 4);
  expect(deaths.map((d) => d.restartInMs)).toEqual([1000, 2000, 4000, 8000]);
  for (const d of deaths) expect(d.code).toBe(1);
  // The 3rd and 4th deaths are of the workers restarted after the 1st and 2nd: one of them waited 2 s.
  expect(Math.max(deaths[2].time, deaths[3].time) - deaths[0].time).toBeGreaterThanOrEqual(2000);
  // The next restart waits 4 s after the 3rd death: no fork loop meanwhile.
  await sleep(Math.max(0, deaths[2].time + 3000 - Date.now()));
  expect(died().length).toBe(4);
  // Each failure was logged by the worker itself, in one line.
  expect(k.output()).toMatch(/karbon: .*x\.db/);
  expect(await k.stop("SIGTERM")).toBe(0); // stopping cancels the pending restarts
}, 60_000);

it("a metrics port in use: one line, exit 1, no worker started", async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
  try {
    const port = (busy.address() as { port: number }).port;
    const k = spawnCli("karbon-main.ts", ["--workers", "2", "--tcp", "127.0.0.1:0", "--metrics", `127.0.0.1:${port}`, "--config", config]);
    expect(await k.exited).toBe(1);
    expect(k.output()).toMatch(new RegExp(`^karbon: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use$`, "m"));
    expect(jsonLogs(k.output()).filter((l) => l.msg === "karbon worker listening")).toEqual([]);
  } finally {
    await new Promise((r) => busy.close(r));
  }
});
