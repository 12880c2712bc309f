/**
 * Exactly-once flushes against real stores: karbon's write buffer flushes
 * counts through a fault proxy that cuts the connection right after
 * forwarding COMMIT (PostgreSQL, MariaDB) or a script call (Redis, Redis
 * Cluster), swallowing the answer; the buffer retries, and every count must
 * come out exact — none doubled, none lost. SQLite has no connection to
 * cut: its acknowledgment is lost after the commit instead (and, with the
 * writer thread, the thread is terminated right after committing).
 */
import { pino } from "pino";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it, vi } from "vitest";
import { FLUSH_ID_TTL_SECONDS, StoreError, Timeseries, WriteBatch, type Store } from "../../timeseries/index.js";
import { openStore } from "../../timeseries/backends/open-store.js";
import type { SqlStore } from "../../timeseries/backends/sql/sql-store.js";
import { SqliteStore } from "../../timeseries/backends/sqlite/sqlite-store.js";
import { COMMIT_PATTERNS, SCRIPT_PATTERNS, startFaultProxy, type CutMode, type FaultProxy } from "../../timeseries/testing/fault-proxy.js";
import { findServer } from "../../timeseries/testing/sql-test-target.js";
import { shouldRun } from "../../timeseries/testing/must-run.js";
import { redisBinariesAvailable, startCluster, startRedisServer } from "../../timeseries/testing/redis-test-cluster.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createIngestLog } from "./ingest-log.js";
import { WriteBuffer } from "./write-buffer.js";

/** Ambiguous failures (the store did or may have done the work) to inject per store. */
const AMBIGUOUS = Number(process.env.TORUS_TEST_AMBIGUOUS_FAILURES ?? 200);
const NOW = 1_800_000_000 - (1_800_000_000 % 3600);
const NAMES = ["eo.a", "eo.b", "eo.c", "eo.d", "eo.e"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deterministic pseudo-random numbers (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Something that makes the next flush's outcome ambiguous, and says how many times it did. */
interface Fault {
  arm(mode: CutMode): void;
  disarm(): void;
  readonly armed: boolean;
  readonly cuts: number;
}

interface Outcome {
  rounds: number;
  /** Cuts by mode. */
  byMode: Record<CutMode, number>;
  /** Per name: stored − sent, summed over buckets (positive: counted twice; negative: lost). */
  doubled: number;
  lost: number;
  failures: number;
  /** Names whose hour bucket does not hold what was sent. */
  hourly: string[];
  /** Names sent that the store does not list. */
  unlisted: string[];
}

/**
 * Rounds of: stage points (counts over a few names and minutes, plus one
 * new name each round), arm the fault, flush, wait until the buffer has
 * written everything (retrying as karbon does). Then compare every
 * bucket with what was sent.
 */
async function rounds(store: Store, reader: Store, fault: Fault, seed: number, prefix: string): Promise<Outcome> {
  const logger = pino({ level: "silent" });
  const buffer = new WriteBuffer(store, { flushInterval: 60_000, maxRows: 1_000_000, log: createIngestLog(logger, 0), logger });
  const options = { type: "count", prefix, intervals: { minute: { step: 60 }, hour: { step: "1h" } }, clock: () => NOW } as const;
  const ts = new Timeseries(store, options);
  const rnd = prng(seed);
  const sent = new Map<string, Map<number, number>>();
  const byMode: Record<CutMode, number> = { "after-reply": 0, "at-once": 0, "drop-request": 0 };
  let failures = 0;
  let round = 0;
  const drained = async (what: string) => {
    const until = Date.now() + 30_000;
    while (buffer.rows > 0) {
      if (Date.now() > until) throw new Error(`${what}: the buffer did not drain in 30 s (${buffer.rows} rows left)`);
      await sleep(5);
    }
  };
  // A first flush without faults creates the tables (a transaction of its own on SQL servers).
  ts.stage(buffer.batch, NAMES[0], 1, NOW);
  sent.set(NAMES[0], new Map([[NOW, 1]]));
  await buffer.flush();
  await drained("first flush");
  while (byMode["after-reply"] + byMode["at-once"] < AMBIGUOUS) {
    round++;
    const names = [...NAMES, `eo.new.${round}`];
    for (let i = 0; i < 20; i++) {
      const name = names[Math.floor(rnd() * names.length)];
      const t = NOW - Math.floor(rnd() * 600);
      const v = 1 + Math.floor(rnd() * 3);
      ts.stage(buffer.batch, name, v, t);
      const m = sent.get(name) ?? new Map<number, number>();
      sent.set(name, m);
      const minute = t - (t % 60);
      m.set(minute, (m.get(minute) ?? 0) + v);
    }
    const r = rnd();
    const mode: CutMode = r < 0.8 ? "after-reply" : r < 0.9 ? "at-once" : "drop-request";
    const before = fault.cuts;
    fault.arm(mode);
    const started = Date.now();
    if (!(await buffer.flush())) failures++;
    await drained(`round ${round}`);
    if (process.env.TORUS_TEST_TRACE) console.info(`round ${round} ${mode} cut=${fault.cuts > before} ${Date.now() - started} ms`);
    if (fault.cuts > before) byMode[mode]++;
    // A cluster flush may not reach the node whose proxy was armed: that round injected nothing.
    else fault.disarm();
  }
  await buffer.close(5_000);
  const check = new Timeseries(reader, options);
  let doubled = 0;
  let lost = 0;
  const hourly: string[] = [];
  for (const [name, minutes] of sent) {
    const got = await check.series(name, "minute", { start: NOW - 660, end: NOW });
    for (const [minute, want] of minutes) {
      const have = Number(got.get(minute) ?? 0);
      if (have > want) doubled += have - want;
      if (have < want) lost += want - have;
    }
    const total = [...minutes.values()].reduce((a, b) => a + b, 0);
    const hours = await check.series(name, "hour", { start: NOW - 3600, end: NOW });
    const stored = [...hours.values()].reduce((a: number, b) => a + Number(b ?? 0), 0);
    if (stored !== total) hourly.push(`${name}: ${stored} stored, ${total} sent`);
  }
  const listed = (await check.list()).sort();
  return { rounds: round, byMode, doubled, lost, failures, hourly, unlisted: [...sent.keys()].filter((n) => !listed.includes(n)) };
}

/** `failing`: whether each cut reaches the write buffer as a failed flush (a cluster client resends some calls itself). */
function expectExact(label: string, o: Outcome, failing = true): void {
  console.info(`${label}: ${o.rounds} rounds, cuts ${JSON.stringify(o.byMode)}, failed flushes ${o.failures}, doubled ${o.doubled}, lost ${o.lost}`);
  expect(o.byMode["after-reply"] + o.byMode["at-once"]).toBeGreaterThanOrEqual(AMBIGUOUS);
  if (failing) expect(o.failures).toBeGreaterThanOrEqual(AMBIGUOUS);
  expect({ doubled: o.doubled, lost: o.lost, hourly: o.hourly, unlisted: o.unlisted }).toEqual({ doubled: 0, lost: 0, hourly: [], unlisted: [] });
}

const uniquePrefix = (what: string) => `eo_${what}_${process.pid}_${Date.now().toString(36)}_`;

/**
 * SQLite: the flush commits, then its acknowledgment is lost (the write
 * reports a retryable failure). `afterCommit` can do more damage first.
 */
function lostAck(inner: SqliteStore, afterCommit: (cut: number) => Promise<void> = async () => {}): { store: Store; fault: Fault } {
  let armed: CutMode | null = null;
  let cuts = 0;
  const write = async (batch: WriteBatch) => {
    const mode = armed;
    armed = null;
    if (mode) cuts++;
    if (mode === "drop-request") throw new StoreError(inner.url, "write failed: the writer went away before the transaction", { retryable: true });
    await inner.write(batch);
    if (!mode) return;
    await afterCommit(cuts);
    throw new StoreError(inner.url, "write failed: lost the acknowledgment after commit", { retryable: true });
  };
  const store = new Proxy(inner, { get: (t, k) => (k === "write" ? write : Reflect.get(t, k)) }) as Store;
  return {
    store,
    fault: {
      arm: (mode) => (armed = mode),
      disarm: () => (armed = null),
      get armed() {
        return armed !== null;
      },
      get cuts() {
        return cuts;
      },
    },
  };
}

/**
 * A flush id is recognised for an hour, then forgotten (SQL stores delete
 * ids past their hour on a later flush): written again after that, the
 * same id applies again.
 */
async function forgottenAfterAnHour(store: Store, prefix: string): Promise<void> {
  const ts = new Timeseries(store, { type: "count", prefix, intervals: { minute: { step: 60 } }, clock: () => NOW });
  const write = (id: string, v: number) => {
    const b = new WriteBatch();
    b.flushId = id;
    ts.stage(b, "x", v, NOW);
    return store.write(b);
  };
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() - (FLUSH_ID_TTL_SECONDS + 120) * 1000 });
  try {
    await write(`${prefix}old:1`, 1);
    await write(`${prefix}old:1`, 1);
  } finally {
    vi.useRealTimers();
  }
  await write(`${prefix}new:1`, 10);
  await write(`${prefix}new:1`, 10);
  expect(await ts.get("x", "minute", { timestamp: NOW })).toBe(11);
  await write(`${prefix}old:1`, 1);
  expect(await ts.get("x", "minute", { timestamp: NOW })).toBe(12);
}

describe("exactly-once flushes: SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "torus-eo-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("flush ids are forgotten after an hour", async () => {
    const store = new SqliteStore(`sqlite:///${join(dir, "ttl.db")}`);
    try {
      await forgottenAfterAnHour(store, "ttl_");
      // The old id was deleted, then recorded again when it applied again: nothing older than an hour is kept.
      const left = store.handle.prepare(`SELECT id FROM "ttl_flushes" WHERE at >= ? ORDER BY id`).pluck().all(Math.floor(Date.now() / 1000) - 60);
      expect(left).toEqual(["ttl_new:1", "ttl_old:1"]);
      expect(store.handle.prepare(`SELECT count(*) FROM "ttl_flushes"`).pluck().get()).toBe(2);
    } finally {
      await store.close();
    }
  });

  it(`${AMBIGUOUS} acknowledgments lost after commit: every count exact`, async () => {
    const inner = new SqliteStore(`sqlite:///${join(dir, "a.db")}`);
    try {
      const { store, fault } = lostAck(inner);
      expectExact("sqlite", await rounds(store, inner, fault, 1, "eo_"));
    } finally {
      await inner.close();
    }
  }, 120_000);

  it(`${AMBIGUOUS} acknowledgments lost after commit through the writer thread, one in five by terminating it: every count exact`, async () => {
    const inner = new SqliteStore(`sqlite:///${join(dir, "b.db")}`, { writer_thread: true });
    const reader = new SqliteStore(`sqlite:///${join(dir, "b.db")}`);
    try {
      // The thread that committed dies before anyone hears from it; the next write starts a new one.
      const kill = async (cut: number) => {
        if (cut % 5 !== 0) return;
        const thread = (inner as unknown as { writer: { worker: { terminate(): Promise<number> } | null } }).writer;
        await thread.worker?.terminate();
      };
      const { store, fault } = lostAck(inner, kill);
      expectExact("sqlite writer thread", await rounds(store, reader, fault, 2, "eo_"));
    } finally {
      await inner.close();
      await reader.close();
    }
  }, 180_000);
});

/** A SQL server on loopback, reached through the proxy; tables under a prefix of their own, dropped afterwards. */
async function sqlThroughProxy(label: string, urls: string[], pattern: Buffer, seed: number): Promise<void> {
  const server = await findServer({ label, urls, envVar: "", open: (u) => openStore(u) as Promise<SqlStore> });
  describe(`exactly-once flushes: ${label}`, () => {
    const ok = "url" in server;
    if (!shouldRun(label, ok, `no server at ${urls.join(" or ")}`)) {
      it.skip("needs a reachable server", () => {});
      return;
    }
    const url = new URL(ok ? server.url : urls[0]);
    it("flush ids are forgotten after an hour", async () => {
      const prefix = uniquePrefix(`${label.toLowerCase()}_ttl`);
      const store = (await openStore(url.href)) as SqlStore;
      try {
        await forgottenAfterAnHour(store, prefix);
      } finally {
        await store.dropTables(prefix);
        await store.close();
      }
    });

    it(`${AMBIGUOUS} connections cut after forwarding COMMIT: every count exact`, async () => {
      const proxy = await startFaultProxy({ target: { host: url.hostname, port: Number(url.port) }, patterns: [pattern] });
      const viaProxy = new URL(url);
      viaProxy.port = String(proxy.port);
      const prefix = uniquePrefix(label.toLowerCase());
      const store = (await openStore(viaProxy.href)) as SqlStore;
      const reader = (await openStore(url.href)) as SqlStore;
      try {
        expectExact(label, await rounds(store, reader, proxy, seed, prefix));
        expect(proxy.connections).toBeGreaterThan(AMBIGUOUS);
      } finally {
        await store.close();
        await reader.dropTables(prefix);
        await reader.close();
        await proxy.close();
      }
    }, 300_000);
  });
}

await sqlThroughProxy("PostgreSQL", process.env.TORUS_TEST_POSTGRES_URL ? [process.env.TORUS_TEST_POSTGRES_URL] : ["postgresql://postgres@127.0.0.1:5432/test", "postgresql://root@127.0.0.1:5432/test"], COMMIT_PATTERNS.postgres, 3);
await sqlThroughProxy("MariaDB", [process.env.TORUS_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test"], COMMIT_PATTERNS.mysql, 4);

const redisBinaries = redisBinariesAvailable();

describe("exactly-once flushes: Redis", () => {
  if (!shouldRun("Redis (private server)", redisBinaries, "redis-server/redis-cli not on the PATH")) {
    it.skip("needs redis-server", () => {});
    return;
  }
  it("a flush leaves one mark key, kept an hour", async () => {
    const server = await startRedisServer();
    const store = await openStore(server.url);
    const admin = new Redis(server.port, "127.0.0.1");
    try {
      const ts = new Timeseries(store, { type: "count", prefix: "ttl:", intervals: { minute: { step: 60 } }, clock: () => NOW });
      const b = new WriteBatch();
      b.flushId = "w:1";
      for (let i = 0; i < 50; i++) ts.stage(b, `x${i}`, 1, NOW);
      await store.write(b);
      const marks = await admin.keys("*:f:*");
      expect(marks).toHaveLength(1);
      expect(marks[0]).toMatch(/^ttl:count:\{[0-9a-f]{8}\}:f:w:1$/);
      const ttl = await admin.ttl(marks[0]);
      expect(ttl).toBeGreaterThan(FLUSH_ID_TTL_SECONDS - 10);
      expect(ttl).toBeLessThanOrEqual(FLUSH_ID_TTL_SECONDS);
    } finally {
      admin.disconnect();
      await store.close();
      await server.stop();
    }
  });

  it(`${AMBIGUOUS} script replies swallowed after the script ran: every count exact`, async () => {
    const server = await startRedisServer();
    const proxy = await startFaultProxy({ target: { host: "127.0.0.1", port: server.port }, patterns: SCRIPT_PATTERNS });
    // maxRetriesPerRequest 0: a command whose connection drops fails at once, instead of at the 10 s command
    // timeout (with 1, ioredis keeps it queued across the first reconnect and never resends it).
    const store = await openStore(`redis://127.0.0.1:${proxy.port}/0`, { maxRetriesPerRequest: 0 });
    const reader = await openStore(server.url);
    try {
      expectExact("redis", await rounds(store, reader, proxy, 5, "eo:"));
    } finally {
      await store.close();
      await reader.close();
      await proxy.close();
      await server.stop();
    }
  }, 300_000);
});

describe("exactly-once flushes: Redis Cluster", () => {
  if (!shouldRun("Redis Cluster", redisBinaries, "redis-server/redis-cli not on the PATH")) {
    it.skip("needs redis-server", () => {});
    return;
  }
  it(`${AMBIGUOUS} per-node script replies swallowed: every count exact, every new name listed`, async () => {
    const cluster = await startCluster({ replicas: 0 });
    const proxies: FaultProxy[] = [];
    try {
      for (const port of cluster.ports) proxies.push(await startFaultProxy({ target: { host: "127.0.0.1", port }, patterns: SCRIPT_PATTERNS }));
      // The cluster announces its nodes' own ports: the client is pointed at the proxies instead.
      const natMap = Object.fromEntries(cluster.ports.map((port, i) => [`127.0.0.1:${port}`, { host: "127.0.0.1", port: proxies[i].port }]));
      const store = await openStore(`redis-cluster://${proxies.map((p) => `127.0.0.1:${p.port}`).join(",")}`, { natMap });
      const reader = await openStore(cluster.url);
      // One node's reply at a time is lost; which node is the luck of the round.
      const rnd = prng(6);
      let pick = proxies[0];
      const fault: Fault = {
        arm: (mode) => {
          pick = proxies[Math.floor(rnd() * proxies.length)];
          pick.arm(mode);
        },
        disarm: () => pick.disarm(),
        get armed() {
          return pick.armed;
        },
        get cuts() {
          return proxies.reduce((s, p) => s + p.cuts, 0);
        },
      };
      try {
        const outcome = await rounds(store, reader, fault, 7, "eo:");
        expectExact("redis cluster", outcome, false);
        // At most one mark per master per flush, however many slots a flush writes.
        let marks = 0;
        for (const port of cluster.ports) {
          const node = new Redis(port, "127.0.0.1");
          try {
            marks += (await node.keys("*:f:*")).length;
          } finally {
            node.disconnect();
          }
        }
        expect(marks).toBeGreaterThan(0);
        expect(marks).toBeLessThanOrEqual(3 * (outcome.rounds + 1));
      } finally {
        await store.close();
        await reader.close();
      }
    } finally {
      await Promise.all(proxies.map((p) => p.close()));
      await cluster.stop();
    }
  }, 600_000);
});
