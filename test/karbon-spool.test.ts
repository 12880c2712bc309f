/**
 * The spool end to end: a real karbon (the built bin when there is one)
 * over a private redis-server that goes down; a million points over TCP and
 * UDP land in the spool; karbon is killed with SIGKILL; Redis comes back and
 * karbon starts again: every point is in Redis exactly once.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { REQUIRED } from "../src/timeseries/testing/must-run.js";
import { openStore, Timeseries } from "../src/timeseries/index.js";
import { BUILT, eventually, freePort, reapChildren, sendTcp, sleep, spawnCli, track } from "./helpers/processes.js";

const haveRedis = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
if (!haveRedis && REQUIRED) throw new Error("redis-server is required for the karbon spool test in CI");
if (!haveRedis) console.warn("\n*** SKIPPING karbon spool test: redis-server is not installed ***\n");

const dir = mkdtempSync(join(tmpdir(), "torus-karbon-spool-"));
afterEach(() => reapChildren());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startRedis(port: number): Promise<ChildProcess> {
  const proc = track(spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"], { stdio: "ignore" }));
  await eventually(() => spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout.trim() === "PONG");
  return proc;
}

/** karbon's self-metrics as `name{labels}` → value. */
async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    const key = line.slice(0, at).replace(/\{store="[^"]*"\}/, "");
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(at + 1)));
  }
  return out;
}

const NAMES = 1000;
const TCP_POINTS = 800_000;
const UDP_POINTS = 200_000;
const LINES_PER_DATAGRAM = 40;
/**
 * Datagrams sent ahead of what karbon has counted. Loopback UDP drops what
 * the receiver's socket buffer cannot hold, and that loss is the kernel's,
 * not karbon's: the buffer's default 208 KiB is charged about 2 KiB per
 * small datagram, so 50 in flight fit it even while karbon waits for a core.
 */
const UDP_WINDOW = 50;
/** Most UDP points the kernel may lose, paced as above, before the test calls it more than a busy machine's noise. */
const UDP_LOSS_ALLOWED = UDP_POINTS / 100;

/**
 * Send `count` lines over UDP, paced by karbon's own count of points
 * received: at most `UDP_WINDOW` datagrams ahead of it. `received` reads
 * the counter; `base` is what it counted before (the TCP points). A
 * datagram the kernel dropped never shows up in the count, so the pacing
 * waits at most `stallMs` for it and moves on.
 */
async function sendUdp(port: number, lines: (i: number) => string, count: number, received: () => Promise<number>, base: number, stallMs = 500): Promise<void> {
  const sock = createSocket("udp4");
  let sentPoints = 0;
  let inFlight = 0;
  // Points taken for lost: sent, and still not counted after a stall.
  let lost = 0;
  const slack = Math.floor(UDP_WINDOW / 2) * LINES_PER_DATAGRAM;
  try {
    for (let i = 0; i < count; i += LINES_PER_DATAGRAM) {
      let d = "";
      const end = Math.min(count, i + LINES_PER_DATAGRAM);
      for (let j = i; j < end; j++) d += lines(j);
      await new Promise<void>((r, e) => sock.send(d, port, "127.0.0.1", (err) => (err ? e(err) : r())));
      sentPoints += end - i;
      if (++inFlight < UDP_WINDOW) continue;
      // A window out: wait until karbon has counted all but half a window (or the rest is lost), one scrape per half window.
      const until = Date.now() + stallMs;
      let counted = (await received()) - base;
      while (counted + lost < sentPoints - slack && Date.now() < until) {
        await sleep(2);
        counted = (await received()) - base;
      }
      if (counted + lost < sentPoints - slack) lost = sentPoints - counted;
      inFlight = Math.ceil(Math.max(0, sentPoints - counted - lost) / LINES_PER_DATAGRAM);
    }
  } finally {
    sock.close();
  }
}

describe("karbon spool: a SPOOL_DIR karbon cannot use", () => {
  it("exits at start naming the directory and what to change, before listening", async () => {
    const notADir = join(dir, "a-file");
    writeFileSync(notADir, "");
    const config = join(dir, "bad-spool.ts");
    writeFileSync(
      config,
      `export const SCHEMAS = { counts: { type: "count", host: "sqlite:///${join(dir, "bad-spool.db")}", match: "^x\\.", intervals: { minute: { step: 60 } } } };
       export const SPOOL_DIR = ${JSON.stringify(join(notADir, "spool"))};`,
    );
    const k = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--config", config], {}, BUILT);
    const code = await k.exited;
    expect(code).not.toBe(0);
    expect(k.output()).toMatch(/SPOOL_DIR: cannot keep the spool of sqlite:\/\/\/.*ENOTDIR.*set SPOOL_DIR to a directory/);
    expect(k.output()).not.toContain("karbon listening");
  }, 30_000);
});

describe.runIf(haveRedis)("karbon spool: a store outage, kill -9 and a restart", () => {
  it("stores every point of a million exactly once", async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    const url = `redis://127.0.0.1:${port}/3`;
    const spoolDir = join(dir, "spool");
    const config = join(dir, "c.ts");
    writeFileSync(
      config,
      `export const SCHEMAS = { counts: { type: "count", host: "${url}", match: "^sp\\\\.", intervals: { minute: { step: 60 } } } };
       export const FLUSH_INTERVAL = 200;
       export const SPOOL_DIR = ${JSON.stringify(spoolDir)};
       export const SPOOL_AFTER = 0.5;`,
    );
    const args = ["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", config];
    const start = async () => {
      const k = spawnCli("karbon-main.ts", args, {}, BUILT);
      const listening = await k.waitForLog("karbon listening", 30_000);
      return { k, tcp: listening.tcp.port as number, udp: listening.udp.port as number, metrics: listening.metrics.port as number };
    };
    let karbon = await start();

    const stopped = new Promise((r) => redis.once("exit", r));
    redis.kill("SIGTERM");
    await stopped;

    const now = Math.floor(Date.now() / 1000);
    // TCP to one set of names, UDP to another: TCP must arrive whole, UDP only as whole as karbon counted it.
    const line = (i: number) => `sp.n${i % NAMES} 1 ${now - (i % 50) * 60}\n`;
    const udpLine = (i: number) => `sp.u${i % NAMES} 1 ${now - (i % 50) * 60}\n`;
    const tcpChunks: string[] = [];
    for (let i = 0; i < TCP_POINTS; ) {
      let c = "";
      for (const end = Math.min(TCP_POINTS, i + 20_000); i < end; i++) c += line(i);
      tcpChunks.push(c);
    }
    let last = new Map<string, number>();
    const diagnose = (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(Object.fromEntries([...last].filter(([k]) => /spool|received|buffer|bad_lines|flush_failures/.test(k))))}\n${karbon.k.output().slice(-3000)}`);
    };
    // The counter is there from the start, at 0 (`eventually` waits for a truthy answer: ask for the comparison, not the count).
    const received = async () => {
      last = await scrape(karbon.metrics);
      const n = last.get("karbon_points_received_total");
      if (n === undefined) throw new Error("karbon_points_received_total is not in /metrics");
      return n;
    };
    expect(await received()).toBe(0);
    await sendTcp(karbon.tcp, tcpChunks);
    await eventually(async () => (await received()) >= TCP_POINTS, 30_000, 50).catch(diagnose);
    expect(await received()).toBe(TCP_POINTS);
    await sendUdp(karbon.udp, udpLine, UDP_POINTS, received, TCP_POINTS);

    // What karbon counted is spooled before the kill: kill -9 loses only what had not reached the spool.
    // UDP: what karbon received (the kernel may drop a few datagrams before karbon sees them), once it stops growing.
    let udpReceived = -1;
    const m = await eventually(async () => {
      const got = (await received()) - TCP_POINTS;
      const settled = got === udpReceived;
      udpReceived = got;
      return settled && last.get("karbon_spool_appended_points_total") === TCP_POINTS + got;
    }, 30_000, 200).then(() => last, diagnose);
    const udpLost = UDP_POINTS - udpReceived;
    console.log(`karbon spool test: UDP ${udpReceived} of ${UDP_POINTS} points reached karbon (${udpLost} lost by the kernel)`);
    expect(udpLost).toBeGreaterThanOrEqual(0);
    expect(udpLost, "UDP points lost before karbon saw them, though paced on karbon's count").toBeLessThanOrEqual(UDP_LOSS_ALLOWED);
    expect(m.get('karbon_bad_lines_total{reason="udp_dropped"}') ?? 0).toBe(0);
    expect(m.get("karbon_spool_records")).toBeGreaterThan(0);
    expect(m.get("karbon_spool_bytes")).toBeGreaterThan(0);
    const total = TCP_POINTS + udpReceived;

    karbon.k.kill("SIGKILL");
    await karbon.k.exited;
    redis = await startRedis(port);
    karbon = await start();
    const after = await eventually(async () => {
      last = await scrape(karbon.metrics);
      return last.get("karbon_spool_records") === 0 && last.get("karbon_spool_bytes") === 0;
    }, 30_000, 200).then(
      () => last,
      (err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify(Object.fromEntries([...last].filter(([k]) => /spool|received|buffer|bad_lines|flush_failures/.test(k))))}\n${karbon.k.output().slice(-3000)}`);
      },
    );
    expect(after.get("karbon_spool_replayed_points_total")).toBe(total);
    expect(after.get("karbon_spool_torn_records_total")).toBe(0);

    const store = await openStore(url);
    try {
      const ts = new Timeseries(store, { type: "count", intervals: { minute: { step: 60 } }, prefix: "counts" });
      const sum = async (n: readonly string[]) => [...(await ts.series(n, "minute", { start: now - 60 * 60, end: now, collapse: true })).values()][0] ?? 0;
      const perName = async (names: readonly string[]) => {
        const out: number[] = [];
        for (let i = 0; i < names.length; i += 100) out.push(...(await Promise.all(names.slice(i, i + 100).map((n) => sum([n])))));
        return out;
      };
      const tcpNames = Array.from({ length: NAMES }, (_, i) => `sp.n${i}`);
      const udpNames = Array.from({ length: NAMES }, (_, i) => `sp.u${i}`);
      // TCP: each name got TCP_POINTS / NAMES points of 1, spread over 50 minutes: none lost, none twice.
      expect(await sum(tcpNames)).toBe(TCP_POINTS);
      expect((await perName(tcpNames)).filter((v) => v !== TCP_POINTS / NAMES)).toEqual([]);
      // UDP: exactly what karbon received, and no name above what was sent to it (none twice).
      expect(await sum(udpNames)).toBe(udpReceived);
      expect((await perName(udpNames)).filter((v) => v > UDP_POINTS / NAMES)).toEqual([]);
    } finally {
      await store.close();
    }
    karbon.k.kill("SIGTERM");
    expect(await karbon.k.exited).toBe(0);
  }, 120_000);

  it("a stop while the store is down spools what karbon holds and exits 0 at once; the next start stores it", async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    const url = `redis://127.0.0.1:${port}/4`;
    const config = join(dir, "graceful.ts");
    writeFileSync(
      config,
      `export const SCHEMAS = { counts: { type: "count", host: "${url}", match: "^g\\\\.", intervals: { minute: { step: 60 } } } };
       export const SPOOL_DIR = ${JSON.stringify(join(dir, "spool-graceful"))};`,
    );
    const args = ["--tcp", "127.0.0.1:0", "--config", config];
    let k = spawnCli("karbon-main.ts", args, {}, BUILT);
    let tcp = (await k.waitForLog("karbon listening", 30_000)).tcp.port as number;
    const stopped = new Promise((r) => redis.once("exit", r));
    redis.kill("SIGTERM");
    await stopped;
    const now = Math.floor(Date.now() / 1000);
    await sendTcp(tcp, Array.from({ length: 10_000 }, (_, i) => `g.n${i % 10} 3 ${now - (i % 5) * 60}\n`).join(""));
    await k.waitForLog("flush failed; keeping the data and retrying");
    const t0 = Date.now();
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000); // not the 30 s of retries a stop without a spool waits
    redis = await startRedis(port);
    k = spawnCli("karbon-main.ts", args, {}, BUILT);
    tcp = (await k.waitForLog("karbon listening", 30_000)).tcp.port as number;
    const store = await openStore(url);
    try {
      const ts = new Timeseries(store, { type: "count", intervals: { minute: { step: 60 } }, prefix: "counts" });
      const names = Array.from({ length: 10 }, (_, i) => `g.n${i}`);
      const total = async () => [...(await ts.series(names, "minute", { start: now - 600, end: now, collapse: true })).values()][0];
      await eventually(async () => (await total()) === 30_000, 20_000, 100);
    } finally {
      await store.close();
    }
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  }, 60_000);
});
