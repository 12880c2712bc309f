/**
 * The write buffer with a disk spool, against a private redis-server that
 * is stopped and started for real: batches go to the spool once the store
 * has failed for SPOOL_AFTER, come back oldest first (series in arrival
 * order) when it returns, a stop during the outage spools everything, and
 * only a full spool brings backpressure.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { putCells } from "../../timeseries/testing/batch-view.js";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Timeseries, type Store } from "../../timeseries/index.js";
import { RedisStore } from "../../timeseries/backends/redis/redis-store.js";
import { shouldRun } from "../../timeseries/testing/must-run.js";
import { StoreSpool } from "../spool/store-spool.js";
import { createIngestLog } from "./ingest-log.js";
import { WriteBuffer } from "./write-buffer.js";

const haveRedis = shouldRun("WriteBuffer with a spool", spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0, "redis-server is not on the PATH");
if (!haveRedis) console.warn("\n*** SKIPPING write buffer spool test: redis-server is not installed ***\n");

const dir = mkdtempSync(join(tmpdir(), "torus-wb-spool-"));
const logger = pino({ level: "silent" });
const T = Math.floor(Date.now() / 1000);
const MINUTE = T - (T % 60);
let redis: ChildProcess | null = null;
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  try {
    for (const f of cleanup.splice(0).reverse()) await f();
  } finally {
    // The private redis-server goes whatever happened above.
    redis?.kill("SIGKILL");
    redis = null;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}
async function startRedis(port: number): Promise<void> {
  redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  await until(() => spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout.trim() === "PONG");
}
async function stopRedis(): Promise<void> {
  const r = redis!;
  const gone = new Promise((res) => r.once("exit", res));
  r.kill("SIGTERM");
  await gone;
  redis = null;
}

async function setup(options: { maxBytes?: number; maxRows?: number } = {}) {
  const port = await freePort();
  await startRedis(port);
  const store: Store = await RedisStore.open(`redis://127.0.0.1:${port}/0`);
  cleanup.push(() => store.close());
  const spoolDir = join(dir, `spool-${port}`);
  const openSpool = () => {
    const s = new StoreSpool({ dir: spoolDir, maxBytes: options.maxBytes ?? 64 * 1024 * 1024, logger });
    cleanup.push(() => s.close());
    return s;
  };
  const pressure: boolean[] = [];
  const refused: string[] = [];
  const makeBuffer = (spool: StoreSpool) =>
    new WriteBuffer(store, { flushInterval: 50, maxRows: options.maxRows ?? 1_000_000, log: createIngestLog(logger, 0), logger, spool, spoolAfterMs: 200, onPressure: (f) => pressure.push(f), onReject: (name) => refused.push(name) });
  const spool = openSpool();
  const buffer = makeBuffer(spool);
  buffer.start();
  cleanup.push(() => buffer.close(1_000));
  const series = new Timeseries(store, { type: "series", prefix: `wbs${port}s`, intervals: { minute: { step: 60 } } });
  const counts = new Timeseries(store, { type: "count", prefix: `wbs${port}c`, intervals: { minute: { step: 60 } } });
  return { port, store, spool, buffer, series, counts, pressure, refused, openSpool, makeBuffer };
}

describe.runIf(haveRedis)("WriteBuffer with a spool", () => {
  it("spools once the store has failed for SPOOL_AFTER, and replays oldest first when it is back", async () => {
    const { port, spool, buffer, series, counts } = await setup();
    await stopRedis();
    const values: string[] = [];
    for (let i = 0; i < 40; i++) {
      values.push(String(i)); // read back as numbers (series values are read as numbers when they parse)
      series.stage(buffer.batch, "s.order", String(i), MINUTE + 1);
      counts.stage(buffer.batch, `c.n${i % 5}`, 1, MINUTE + 1);
      await buffer.flush();
      await sleep(15);
    }
    // Every batch reaches the spool; in memory only the oldest records, merged into one replay being retried (Redis takes merged flushes).
    await until(() => spool.stats.appendedPoints === 80 && buffer.rows <= 80).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify({ stats: spool.stats, rows: buffer.rows })}`);
    });
    expect(spool.unread).toBeGreaterThan(0);
    await startRedis(port);
    await until(() => !spool.holding && buffer.rows === 0);
    expect(spool.stats.replayedPoints).toBe(spool.stats.appendedPoints);
    expect(await series.get("s.order", "minute", { timestamp: MINUTE })).toEqual(values.map(Number));
    const total = [...(await counts.series(["c.n0", "c.n1", "c.n2", "c.n3", "c.n4"], "minute", { start: MINUTE, end: MINUTE, collapse: true })).values()][0];
    expect(total).toBe(40);
    expect(spool.stats.bytes).toBe(0);
  }, 60_000);

  it("a replayed batch holding rows the store refuses: the rest is stored, the refused rows dropped, the record done", async () => {
    const { port, spool, buffer, counts, refused } = await setup();
    await stopRedis();
    for (let i = 0; i < 50; i++) counts.stage(buffer.batch, `c.ok${i}`, 1, MINUTE + 1);
    // A total no store holds, put in as a value staging cannot judge would arrive (see poison-rows.test.ts).
    buffer.batch.size += putCells(buffer.batch.part(counts, counts.ns, counts.intervals), "c.inf", [new Map([[MINUTE, Number.POSITIVE_INFINITY]])]);
    buffer.batch.points++;
    await buffer.flush();
    await until(() => spool.stats.appendedPoints === 51);
    await startRedis(port);
    await until(() => !spool.holding && buffer.rows === 0, 30_000);
    expect(refused).toEqual(["c.inf"]);
    const names = Array.from({ length: 50 }, (_, i) => `c.ok${i}`);
    expect([...(await counts.series(names, "minute", { start: MINUTE, end: MINUTE, collapse: true })).values()][0]).toBe(50);
    expect(spool.stats.replayedRecords).toBe(spool.stats.appendedRecords);
  }, 60_000);

  it("a stop during the outage spools everything; the next buffer replays it on start", async () => {
    const { port, spool, buffer, counts, openSpool, makeBuffer } = await setup();
    await stopRedis();
    for (let i = 0; i < 100; i++) counts.stage(buffer.batch, `c.n${i % 10}`, 2, MINUTE + 1);
    await buffer.flush();
    expect(await buffer.close(30_000)).toBe(0); // at once, not after 30 s of retries
    expect(spool.unread).toBeGreaterThan(0);
    spool.close();
    await startRedis(port);
    const again = openSpool();
    const next = makeBuffer(again);
    next.start();
    cleanup.push(() => next.close(1_000));
    await until(() => !again.holding);
    const names = Array.from({ length: 10 }, (_, i) => `c.n${i}`);
    expect([...(await counts.series(names, "minute", { start: MINUTE, end: MINUTE, collapse: true })).values()][0]).toBe(200);
  }, 60_000);

  it("only a full spool lets the buffer fill to its bound and push back", async () => {
    const { port, spool, buffer, counts, pressure } = await setup({ maxBytes: 12_000, maxRows: 2_000 });
    await stopRedis();
    let name = 0;
    // Past half the bound the buffer spools at once, until the spool is full; then the buffer fills.
    for (let round = 0; round < 40 && !buffer.full; round++) {
      for (let i = 0; i < 100; i++) counts.stage(buffer.batch, `c.f${name++}`, 1, MINUTE + 1);
      buffer.afterChunk();
      await buffer.flush();
    }
    expect(spool.stats.refused).toBeGreaterThan(0);
    expect(spool.stats.appendedRecords).toBeGreaterThan(0);
    expect(buffer.full).toBe(true);
    expect(pressure).toEqual([true]);
    await startRedis(port);
    await until(() => !spool.holding && buffer.rows === 0, 30_000);
    expect(pressure).toEqual([true, false]);
    const names = Array.from({ length: name }, (_, i) => `c.f${i}`);
    expect([...(await counts.series(names, "minute", { start: MINUTE, end: MINUTE, collapse: true })).values()][0]).toBe(name);
  }, 60_000);
});
