/**
 * karbon against a Redis that goes away mid-stream: a private redis-server
 * (append-only file, so a restart keeps what it had), stopped and started
 * again while points keep arriving. Nothing accepted may be lost.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { REQUIRED } from "../src/timeseries/testing/must-run.js";
import { openStore, Timeseries } from "../src/timeseries/index.js";
import { eventually, freePort, reapChildren, sendTcp, sleep, spawnCli, track } from "./helpers/processes.js";

const haveRedis = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
if (!haveRedis && REQUIRED) throw new Error("redis-server is required for the karbon outage test in CI");
if (!haveRedis) console.warn("\n*** SKIPPING karbon Redis outage test: redis-server is not installed ***\n");

const dir = mkdtempSync(join(tmpdir(), "torus-karbon-redis-"));
let redis: ChildProcess | null = null;
// karbon and the private redis-server die with the test, whatever happened.
afterEach(() => reapChildren());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startRedis(port: number): Promise<ChildProcess> {
  const proc = track(spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""], { stdio: "ignore" }));
  await eventually(async () => {
    const r = spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" });
    return r.stdout.trim() === "PONG";
  });
  return proc;
}

describe.runIf(haveRedis)("karbon with Redis going down mid-stream", () => {
  it("keeps what it accepted, retries, and stores everything once Redis is back", async () => {
    const port = await freePort();
    redis = await startRedis(port);
    const url = `redis://127.0.0.1:${port}/0`;
    const config = join(dir, "c.ts");
    writeFileSync(
      config,
      `export const SCHEMAS = { counts: { type: "count", host: "${url}", match: "^r\\\\.", intervals: { minute: { step: 60 } } } };
       export const FLUSH_INTERVAL = 100;`,
    );
    const k = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--config", config]);
    const kport = (await k.waitForLog("karbon listening")).tcp.port;
    const now = Math.floor(Date.now() / 1000);
    const phase = (p: number) => Array.from({ length: 2000 }, (_, i) => `r.s${i % 40} ${p} ${now - (i % 30) * 60}\n`).join("");

    await sendTcp(kport, [phase(1)]);
    await sleep(300);
    const stopped = new Promise((r) => redis!.once("exit", r));
    redis.kill("SIGTERM"); // Redis writes its append-only file and exits
    await stopped;
    await sendTcp(kport, [phase(2)]); // accepted while the store is down
    await k.waitForLog("flush failed; keeping the data and retrying");
    redis = await startRedis(port);
    await sendTcp(kport, [phase(3)]);
    await k.waitForLog("store is writable again", 30_000);

    const store = await openStore(url);
    const ts = new Timeseries(store, { type: "count", intervals: { minute: { step: 60 } }, prefix: "counts" });
    const names = Array.from({ length: 40 }, (_, i) => `r.s${i}`);
    const expected = 2000 * (1 + 2 + 3);
    const total = async () => [...(await ts.series(names, "minute", { start: now - 40 * 60, end: now, collapse: true })).values()][0];
    await eventually(async () => (await total()) === expected, 20_000, 200);
    expect(await total()).toBe(expected);
    await store.close();
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  }, 90_000);
});
