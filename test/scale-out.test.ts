/**
 * Scale-out as deployed: two karbon and two torus processes over one Redis
 * Cluster of 3 masters + 3 replicas (or one PostgreSQL), all real processes
 * on loopback. Four senders stream counts, two into each karbon; mid-stream
 * a master dies (its replica takes over) and one karbon is stopped with
 * SIGTERM (its senders move to the other). Both torus processes must then
 * read every total exactly.
 *
 * What makes "exactly" hold, and what it leaves out (see the README's
 * scale-out section):
 * - karbon's SIGTERM half-closes each connection and reads on until the
 *   sender closes its side (TCP_DRAIN_TIMEOUT). A sender that stops writing
 *   when it sees that FIN and closes has had every line it wrote read; it
 *   sends the lines it had not written yet to the other karbon. No line is
 *   resent, so none counts twice; a close with an error (a reset) would
 *   leave the sender unable to tell, and fails the test.
 * - The master dies (SIGKILL) with its replica caught up: writes are paused
 *   on it first, so flushes sent to it meanwhile never ran, fail, and are
 *   retried on the promoted replica. A crash at an arbitrary moment can lose
 *   a flush Redis acknowledged but had not replicated, or count twice a
 *   flush whose reply was lost; no client can make those exact.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../src/timeseries/backends/postgres/postgres-store.js";
import { shouldRun as shouldRunStore } from "../src/timeseries/testing/must-run.js";
import { redisBinariesAvailable, shouldRun, startCluster, type TestCluster } from "../src/timeseries/testing/redis-test-cluster.js";
import { eventually, freePort, reapChildren, sleep, spawnCli, type Spawned } from "./helpers/processes.js";

const run = shouldRun("scale-out over Redis Cluster", redisBinariesAvailable(), "redis-server/redis-cli not on the PATH");

const dir = mkdtempSync(join(tmpdir(), "torus-scale-out-"));
let cluster: TestCluster | undefined;
afterAll(async () => {
  await reapChildren();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

const NAMES = 40;
const SENDERS = 4;
const LINES = 5_000; // per sender
const TICK_LINES = 40;
const TICK_MS = 15;
const T = Math.floor(Date.now() / 1000 / 60) * 60 - 60;

/** Line k of sender s: a name, a value and a minute spread so every name gets several buckets on every master. */
function line(s: number, k: number): { name: string; value: number; text: string } {
  const name = `so.n${(s * 7 + k) % NAMES}`;
  const value = 1 + (k % 3);
  return { name, value, text: `${name} ${value} ${T - (k % 5) * 60}\n` };
}

/**
 * A sender that follows karbon's shutdown: it writes paced batches; when
 * karbon half-closes, it stops writing, closes its side, waits for a clean
 * close and carries on with the next line on the other karbon. Returns how
 * many lines went to each port.
 */
async function sender(s: number, ports: () => number[]): Promise<Map<number, number>> {
  let next = 0;
  const perPort = new Map<number, number>();
  let attempt = s;
  while (next < LINES) {
    const port = ports()[attempt++ % ports().length];
    const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    let fin = false;
    let error: Error | null = null;
    socket.on("error", (e) => (error = e));
    socket.on("end", () => (fin = true));
    const closed = new Promise<boolean>((resolve) => socket.on("close", (hadError) => resolve(hadError)));
    const connected = await new Promise<boolean>((resolve) => {
      socket.once("connect", () => resolve(true));
      socket.once("close", () => resolve(false));
    });
    if (!connected) {
      await sleep(50);
      continue; // that karbon is gone: try the other
    }
    const start = next;
    while (next < LINES && !fin && !error) {
      let text = "";
      const end = Math.min(LINES, next + TICK_LINES);
      for (; next < end; next++) text += line(s, next).text;
      if (!socket.write(text)) await new Promise((r) => socket.once("drain", r));
      await sleep(TICK_MS);
    }
    socket.end();
    const hadError = await closed;
    if (hadError || error) throw new Error(`sender ${s}: connection to ${port} closed with an error (${String(error)}): lines ${start}..${next} are in doubt`);
    perPort.set(port, (perPort.get(port) ?? 0) + next - start);
  }
  return perPort;
}

async function totals(httpPort: number, names: readonly string[], from: number, until: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const name of names) {
    const res = await fetch(`http://127.0.0.1:${httpPort}/series?stat=${encodeURIComponent(name)}&start=${from}&end=${until}`);
    if (res.status !== 200) throw new Error(`torus on ${httpPort}: /series answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as Array<{ datapoints: Array<[number | null, number]> }>;
    out.set(name, body[0].datapoints.reduce((sum, [v]) => sum + (v ?? 0), 0));
  }
  return out;
}

/** Two karbons and two torus processes over `host`, started and ready. */
async function deploy(host: string, prefix: string): Promise<{ karbons: Spawned[]; karbonPorts: number[]; torusPorts: number[] }> {
  const config = join(dir, `${prefix}.config.mjs`);
  writeFileSync(
    config,
    `export const SCHEMAS = { scale: { type: "count", host: ${JSON.stringify(host)}, prefix: ${JSON.stringify(prefix)}, match: "^so\\.", intervals: { minute: { step: 60, steps: 1440 } } } };
export const FLUSH_INTERVAL = 100;
export const TCP_DRAIN_TIMEOUT = 10;
`,
  );
  const karbons: Spawned[] = [];
  const karbonPorts: number[] = [];
  for (let i = 0; i < 2; i++) {
    const k = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--config", config]);
    karbons.push(k);
    karbonPorts.push((await k.waitForLog("karbon listening", 20_000)).tcp.port as number);
  }
  const torusPorts = [await freePort(), await freePort()];
  const torus = torusPorts.map((p) => spawnCli("torus-main.ts", ["--tcp", `127.0.0.1:${p}`, "--config", config]));
  await Promise.all(torus.map((t) => t.waitForLog("torus listening", 20_000)));
  return { karbons, karbonPorts, torusPorts };
}

/**
 * Streams every sender's lines, two senders per karbon; after `midStream`
 * (its store's fault, if any) stops the first karbon with SIGTERM; then
 * checks both torus processes read every name's exact total.
 */
async function stream(d: Awaited<ReturnType<typeof deploy>>, midStream: () => Promise<void>): Promise<Array<Map<number, number>>> {
  const { karbons, karbonPorts, torusPorts } = d;
  // Senders 0 and 2 start on the first karbon, 1 and 3 on the second; the first karbon is the one stopped.
  let live = [...karbonPorts];
  const senders = Array.from({ length: SENDERS }, (_, s) => sender(s, () => live));
  await sleep(600);
  await midStream();
  await sleep(600);
  live = [karbonPorts[1]];
  karbons[0].kill("SIGTERM");
  const perPort = await Promise.all(senders);
  // The stop really happened mid-stream: senders of the first karbon sent lines to both.
  for (const s of [0, 2]) expect([...perPort[s].keys()].sort()).toEqual([...karbonPorts].sort());
  expect(await karbons[0].exited).toBe(0); // 1 would mean points it accepted could not be stored

  const expected = new Map<string, number>();
  for (let s = 0; s < SENDERS; s++) {
    for (let k = 0; k < LINES; k++) {
      const { name, value } = line(s, k);
      expected.set(name, (expected.get(name) ?? 0) + value);
    }
  }
  const names = [...expected.keys()].sort();
  const want = Object.fromEntries(names.map((n) => [n, expected.get(n)]));
  // The second karbon flushes within FLUSH_INTERVAL once the store takes writes again.
  for (const port of torusPorts) {
    let last: Record<string, number> = {};
    await eventually(async () => {
      last = Object.fromEntries(await totals(port, names, T - 10 * 60, T + 60));
      return JSON.stringify(last) === JSON.stringify(want);
    }, 20_000, 250).catch(() => {
      throw new Error(`torus on ${port}: totals differ:\n${JSON.stringify(last)}\nwant\n${JSON.stringify(want)}`);
    });
  }
  expect(await karbons[1].stop()).toBe(0);
  return perPort;
}

describe.runIf(run)("scale-out: 2 karbon + 2 torus over a Redis Cluster with replicas", () => {
  it("a master crash and a karbon SIGTERM mid-stream; both torus read exact totals", async () => {
    const started = Date.now();
    cluster = await startCluster({ nodeTimeoutMs: 1_000 });
    const c = cluster;
    const d = await deploy(c.url, "so");
    let inFlight = 0;
    let victim = 0;
    const perPort = await stream(d, async () => {
      [victim] = await c.masters();
      // At least one flush sent to it and not run when it dies: karbon must retry it on the new master, once.
      inFlight = await c.killCaughtUp(victim, { inFlight: 1 });
      expect(inFlight).toBeGreaterThan(0);
    });
    await c.waitFailover(victim);
    // Usually 0: the client itself resends a command whose connection closed, once the new master is known.
    const retried = d.karbons.map((k) => k.output().split("\n").filter((l) => l.includes("flush failed; keeping the data and retrying")).length);
    console.log(
      `scale-out: ${SENDERS * LINES} lines; per sender, lines per karbon port ${JSON.stringify(perPort.map((m) => Object.fromEntries(m)))}; flushes waiting on the master when it died ${inFlight}; failed flushes karbon retried ${JSON.stringify(retried)}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 90_000);
});

const pgUrl = process.env.TORUS_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const pg = await openPostgresStore(pgUrl).catch(() => undefined);
const runPg = shouldRunStore("scale-out over PostgreSQL", pg !== undefined, `no PostgreSQL at ${pgUrl}`, "Set TORUS_TEST_POSTGRES_URL to run them.");
afterAll(async () => {
  await pg?.dropTables(pgPrefix);
  await pg?.close();
});
const pgPrefix = `so${process.pid}_`;

describe.runIf(runPg)("scale-out: 2 karbon + 2 torus over one PostgreSQL", () => {
  it("a karbon SIGTERM mid-stream; both torus read exact totals", async () => {
    const d = await deploy(pgUrl, pgPrefix);
    await stream(d, async () => {});
  }, 60_000);
});
