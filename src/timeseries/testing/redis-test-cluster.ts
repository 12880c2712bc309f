/**
 * Test helpers for the Redis backends: is a server reachable, and a
 * throwaway Redis Cluster (3 masters + 3 replicas on free loopback ports)
 * started from `redis-server` and torn down again.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { shouldRun as mustRunOrSkip } from "./must-run.js";

/** The shared test server; `TORUS_TEST_REDIS_URL` overrides. Database 1 keeps tests off db 0. */
export const TEST_REDIS_URL = process.env.TORUS_TEST_REDIS_URL ?? "redis://127.0.0.1:6379/1";

/** True when a Redis at `url` answers PING within a second. */
export async function storeAvailable(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Whether to run a Redis store's tests (see must-run.ts). */
export function shouldRun(what: string, available: boolean, why: string): boolean {
  return mustRunOrSkip(what, available, why, "Start one (or set TORUS_TEST_REDIS_URL) to run them.");
}

/** True when `redis-server` and `redis-cli` are on the PATH. */
export function redisBinariesAvailable(): boolean {
  const ok = (bin: string) => spawnSync(bin, ["--version"], { stdio: "ignore" }).status === 0;
  return ok("redis-server") && ok("redis-cli");
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, release it); the cluster bus needs port + 10000 free too. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    if (port + 10_000 <= 65_535 && (await portFree(port + 10_000))) return port;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = new Socket();
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`redis-server on port ${port} did not start within ${ms} ms`));
        else setTimeout(attempt, 50);
      });
      s.connect(port, "127.0.0.1");
    };
    attempt();
  });
}

/** A private standalone redis-server on a free loopback port (no persistence), for tests that must not share one. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "torus-redis-"));
  const p = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no"], { stdio: "ignore" });
  const stop = async () => {
    if (p.exitCode === null && p.signalCode === null) await new Promise<void>((resolve) => (p.once("exit", () => resolve()), p.kill("SIGKILL")));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 10_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, url: `redis://127.0.0.1:${port}/0`, stop };
}

/** Ask one node something with a short-lived client. */
async function ask(port: number, ...args: string[]): Promise<string> {
  const c = new Redis({ port, host: "127.0.0.1", lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on("error", () => {});
  try {
    await c.connect();
    return String(await c.call(args[0], ...args.slice(1)));
  } finally {
    c.disconnect();
  }
}

/** Poll `check` every 100 ms until it holds or `ms` passes. */
export async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A running throwaway cluster. */
export interface TestCluster {
  /** `redis-cluster://127.0.0.1:P1,...` */
  url: string;
  ports: number[];
  /** SIGKILL the process of the node on `port`. */
  kill(port: number): void;
  /**
   * SIGKILL the master on `port` once its replica holds every write it ran:
   * writes are paused on it (clients block, nothing runs), the replica's
   * offset is waited for, then the process dies. A crash at an arbitrary
   * moment can lose writes the master acknowledged but had not yet
   * replicated (replication is asynchronous); this is the crash without
   * that loss, the state a planned `CLUSTER FAILOVER` also waits for.
   * Resolves once the kill is done, with how many clients were blocked
   * mid-command by the pause (sent, never run); `inFlight` waits (up to
   * 10 s) until at least that many are, so the crash hits writes in progress.
   */
  killCaughtUp(port: number, options?: { inFlight?: number }): Promise<number>;
  /** Wait until a replica has taken over from the dead master on `port` and the cluster is healthy. */
  waitFailover(port: number, ms?: number): Promise<void>;
  /** Ports of the current masters (per `cluster nodes`, asked of a live node). */
  masters(): Promise<number[]>;
  /** Wait until every live node reports `cluster_state:ok` and `masters` serve all slots. */
  waitHealthy(ms?: number): Promise<void>;
  /** Kill every process and remove the directory; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Start 3 masters + 3 replicas (or `replicas: 0`: 3 masters alone) with a
 * short `cluster-node-timeout` (so a failover takes a few seconds), create
 * the cluster and wait for it to be healthy. On any failure it cleans up
 * before rethrowing.
 */
export async function startCluster(options: { nodeTimeoutMs?: number; replicas?: 0 | 1 } = {}): Promise<TestCluster> {
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 2_000;
  const replicas = options.replicas ?? 1;
  const count = 3 * (1 + replicas);
  const dir = mkdtempSync(join(tmpdir(), "torus-redis-cluster-"));
  const procs = new Map<number, ChildProcess>();
  const dead = new Set<number>();
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      [...procs].map(
        ([, p]) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once("exit", () => resolve());
            p.kill("SIGKILL");
          }),
      ),
    );
    procs.clear();
    rmSync(dir, { recursive: true, force: true });
  };
  const live = () => ports.filter((p) => !dead.has(p));
  const masters = async () => {
    const text = await ask(live()[0], "cluster", "nodes");
    // `<id> <ip:port@bus> <flags,...> <master> ...`: healthy masters only.
    return text
      .split("\n")
      .map((l) => l.split(" "))
      .filter((f) => f.length > 2 && f[2].split(",").includes("master") && !/fail/.test(f[2]))
      .map((f) => Number(/:(\d+)@/.exec(f[1])![1]));
  };
  // Generous: on a loaded machine nodes can flap between PFAIL and ok for a while after create.
  const waitHealthy = async (ms = 60_000) => {
    await until("cluster_state:ok on every node", ms, async () => {
      for (const p of live()) if (!(await ask(p, "cluster", "info")).includes("cluster_state:ok")) return false;
      const m = await masters();
      return m.length === 3 && m.every((p) => !dead.has(p));
    });
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      ports.push(port);
      const p = spawn(
        "redis-server",
        [
          "--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
          "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", String(nodeTimeoutMs),
          "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no",
        ],
        { stdio: "ignore" },
      );
      procs.set(port, p);
    }
    await Promise.all(ports.map((p) => waitForPort(p, 10_000)));
    const create = spawnSync("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", String(replicas), "--cluster-yes"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    await waitHealthy();
    // Replicas must be attached before a failover test can rely on them.
    // A replica's first full sync forks and copies; on a loaded machine that can take tens of seconds.
    await until("replicas in sync", 90_000, async () => {
      const infos = await Promise.all(ports.map((p) => ask(p, "info", "replication")));
      return infos.filter((t) => t.includes("role:slave") && t.includes("master_link_status:up")).length === 3 * replicas;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const kill = (port: number) => {
    dead.add(port);
    procs.get(port)?.kill("SIGKILL");
  };
  const offset = (info: string, field: string) => Number(new RegExp(`^${field}:(\\d+)`, "m").exec(info)?.[1] ?? NaN);
  return {
    url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(",")}`,
    ports,
    kill,
    async killCaughtUp(port: number, options: { inFlight?: number } = {}) {
      const replicas: number[] = [];
      for (const p of live()) {
        if (p === port) continue;
        const info = await ask(p, "info", "replication");
        if (info.includes("role:slave") && new RegExp(`^master_port:${port}\\r?$`, "m").test(info)) replicas.push(p);
      }
      if (replicas.length === 0) throw new Error(`node ${port} has no replica to catch up`);
      await ask(port, "client", "pause", "30000", "WRITE");
      await until(`replicas of ${port} caught up`, 10_000, async () => {
        const master = offset(await ask(port, "info", "replication"), "master_repl_offset");
        for (const r of replicas) if (offset(await ask(r, "info", "replication"), "slave_repl_offset") !== master) return false;
        return true;
      });
      // Paused clients count as blocked ones.
      const blocked = async () => offset(await ask(port, "info", "clients"), "blocked_clients");
      await until(`${options.inFlight ?? 0} writes waiting on ${port}`, 10_000, async () => (await blocked()) >= (options.inFlight ?? 0));
      const inFlight = await blocked();
      kill(port);
      return inFlight;
    },
    async waitFailover(port: number, ms = 30_000) {
      await until(`a replica promoted in place of ${port}`, ms, async () => {
        const now = await masters();
        return now.length === 3 && !now.includes(port);
      });
      await waitHealthy(ms);
    },
    masters,
    waitHealthy,
    stop,
  };
}
