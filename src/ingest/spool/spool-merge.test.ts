/**
 * Merged replay against real stores: consecutive spool records go to the
 * store as one write carrying every record's flush id. Rounds of replay
 * are cut short at random (a crash before a write, between the store's
 * commit and the ack, or midway through writing a merged batch's records
 * one by one), each round merging with a different row bound, and some
 * records were applied before they were spooled (a first attempt whose
 * answer was lost): every record is applied exactly once, series values in
 * spool order.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { FlushOverlapError, Timeseries, WriteBatch, type Namespace, type Row, type Store } from "../../timeseries/index.js";
import { openStore } from "../../timeseries/backends/open-store.js";
import type { SqlStore } from "../../timeseries/backends/sql/sql-store.js";
import { findServer } from "../../timeseries/testing/sql-test-target.js";
import { shouldRun } from "../../timeseries/testing/must-run.js";
import { redisBinariesAvailable, startCluster, startRedisServer } from "../../timeseries/testing/redis-test-cluster.js";
import { createIngestLog } from "../pipeline/ingest-log.js";
import { WriteBuffer } from "../pipeline/write-buffer.js";
import { StoreSpool } from "./store-spool.js";

const logger = pino({ level: "silent" });
const dir = mkdtempSync(join(tmpdir(), "torus-spool-merge-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = 1_800_000_000 - (1_800_000_000 % 3600);
const NAMES = ["m.a", "m.b", "m.c", "m.d"];
let serial = 0;

/** What a plan's records are: per record, its points, whether it was applied before being spooled, and whether it lacks the shared prefix. */
interface RecordPlan {
  points: Array<{ name: number; value: number; minute: number }>;
  preApplied: boolean;
  /** Only the `z` prefix: another flush home, which ends a merge. */
  elsewhere: boolean;
}

const recordArb: fc.Arbitrary<RecordPlan> = fc.record({
  points: fc.array(fc.record({ name: fc.nat({ max: NAMES.length - 1 }), value: fc.integer({ min: 1, max: 1000 }), minute: fc.nat({ max: 4 }) }), { minLength: 1, maxLength: 12 }),
  preApplied: fc.boolean(),
  elsewhere: fc.boolean().map((b) => b && Math.random() < 0.3),
});

/** Where a replay round stops: after this many store writes, before the write or after it (commit without ack). */
const crashArb = fc.record({ afterWrites: fc.nat({ max: 6 }), beforeWrite: fc.boolean(), maxRows: fc.constantFrom(0, 1, 4, 10, 30, 1_000) });

function stager(store: Store, prefix: string) {
  const intervals = { minute: { step: 60 } };
  return {
    count: new Timeseries(store, { type: "count", prefix, intervals, clock: () => NOW }),
    series: new Timeseries(store, { type: "series", prefix, intervals, clock: () => NOW }),
  };
}

function build(store: Store, prefix: string, plan: RecordPlan, id: string): WriteBatch {
  const here = stager(store, plan.elsewhere ? `${prefix}z` : prefix);
  const batch = new WriteBatch();
  for (const p of plan.points) {
    const ts = NOW - 3600 + p.minute * 60 + 7;
    here.count.stage(batch, NAMES[p.name], p.value, ts);
    here.series.stage(batch, NAMES[p.name], p.value, ts);
  }
  batch.flushId = id;
  return batch;
}

/** The rows of every name, both types, both prefixes. */
async function rowsOf(store: Store, prefix: string): Promise<Record<string, Row[][]>> {
  const out: Record<string, Row[][]> = {};
  for (const p of [prefix, `${prefix}z`]) {
    for (const type of ["count", "series"] as const) {
      const ns: Namespace = { prefix: p, type };
      // Count and series rows are [bucket, sub, value]; some stores add the unused trailing column.
      out[`${p} ${type}`] = (await store.read(ns, NAMES, "minute", NOW - 3600, NOW)).map((rows) => rows.map((r) => r.slice(0, 3) as Row));
    }
  }
  return out;
}

/** One replay write as the write buffer makes it: a merged batch the store partly knows goes record by record. */
async function replayRound(store: Store, spool: StoreSpool, crash: { afterWrites: number; beforeWrite: boolean; maxRows: number }): Promise<boolean> {
  let writes = 0;
  const write = async (b: WriteBatch): Promise<boolean> => {
    if (writes === crash.afterWrites && crash.beforeWrite) return false;
    await store.write(b);
    return writes++ !== crash.afterWrites;
  };
  for (let b = spool.next(crash.maxRows); b; b = spool.next(crash.maxRows)) {
    try {
      if (!(await write(b))) return false;
    } catch (err) {
      if (!(err instanceof FlushOverlapError)) throw err;
      for (const r of spool.separate()) if (!(await write(r))) return false;
    }
    spool.ack();
  }
  return true;
}

async function roundsAgainst(store: Store, oracle: Store, tag: string, runs: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(recordArb, { minLength: 2, maxLength: 25 }), fc.array(crashArb, { maxLength: 6 }), async (plans, crashes) => {
      const prefix = `${tag}${++serial}_`;
      const spoolDir = join(dir, `spool-${prefix}`);
      // The oracle takes every record once, one by one, in spool order (pre-applied ones first, as the store got them).
      const ordered = [...plans.map((p, i) => [p, i] as const).filter(([p]) => p.preApplied), ...plans.map((p, i) => [p, i] as const).filter(([p]) => !p.preApplied)];
      for (const [p, i] of ordered) await oracle.write(build(oracle, prefix, p, `${prefix}:${i}`));
      let spool = new StoreSpool({ dir: spoolDir, maxBytes: 64 * 1024 * 1024, logger });
      for (const [p, i] of ordered.filter(([p]) => p.preApplied)) await store.write(build(store, prefix, p, `${prefix}:${i}`));
      plans.forEach((p, i) => {
        if (!p.preApplied) spool.append(build(store, prefix, p, `${prefix}:${i}`));
      });
      // Records applied earlier are spooled after those never tried, so series keep the oracle's order; their ids make them no-ops.
      plans.forEach((p, i) => {
        if (p.preApplied) spool.append(build(store, prefix, p, `${prefix}:${i}`));
      });
      for (const crash of crashes) {
        const done = await replayRound(store, spool, crash);
        // A crash: the process is gone, nothing more is acked; the next start reads the acks on disk.
        spool.close();
        spool = new StoreSpool({ dir: spoolDir, maxBytes: 64 * 1024 * 1024, logger });
        if (done) break;
      }
      expect(await replayRound(store, spool, { afterWrites: Number.MAX_SAFE_INTEGER, beforeWrite: false, maxRows: 50 })).toBe(true);
      expect(spool.holding).toBe(false);
      spool.close();
      expect(await rowsOf(store, prefix)).toEqual(await rowsOf(oracle, prefix));
    }),
    { numRuns: runs },
  );
}

describe("merged spool replay: SQLite", () => {
  it.each([
    ["in process", {}, "sq", 60],
    ["on the writer thread", { writer_thread: true }, "sqt", 20],
  ] as const)("%s: every record applied exactly once across crashes mid-replay, whatever the merging", async (_, clientConfig, prefix, rounds) => {
    const store = await openStore(`sqlite:///${join(dir, `${prefix}.db`)}`, clientConfig);
    const oracle = await openStore(`sqlite:///${join(dir, `${prefix}-oracle.db`)}`);
    try {
      expect(store.mergedFlushes).toBe(true);
      await roundsAgainst(store, oracle, prefix, rounds);
    } finally {
      await store.close();
      await oracle.close();
    }
  }, 120_000);

  it("the write buffer merges spooled records into few writes and writes them one by one where the store knows some", async () => {
    const store = await openStore(`sqlite:///${join(dir, "buffer.db")}`);
    const oracle = await openStore(`sqlite:///${join(dir, "buffer-oracle.db")}`);
    const writes: WriteBatch[] = [];
    const counting: Store = Object.create(store, { write: { value: (b: WriteBatch) => (writes.push(b), store.write(b)) } });
    try {
      const spool = new StoreSpool({ dir: join(dir, "buffer-spool"), maxBytes: 64 * 1024 * 1024, logger });
      const plans: RecordPlan[] = Array.from({ length: 40 }, (_, i) => ({ points: NAMES.map((_, n) => ({ name: n, value: i + n, minute: i % 3 })), preApplied: false, elsewhere: false }));
      // Record 25 reached the store before it was spooled: the merged batch holding it is written record by record.
      await store.write(build(store, "wb_", plans[25], "wb:25"));
      await oracle.write(build(oracle, "wb_", plans[25], "wb:25"));
      for (const [i, p] of plans.entries()) {
        spool.append(build(store, "wb_", p, `wb:${i}`));
        if (i !== 25) await oracle.write(build(oracle, "wb_", p, `wb:${i}`));
      }
      const buffer = new WriteBuffer(counting, { flushInterval: 0, maxRows: 1_000_000, flushRows: 100, log: createIngestLog(logger, 0), logger, spool });
      expect(await buffer.flush()).toBe(true);
      expect(spool.holding).toBe(false);
      spool.close();
      expect(await rowsOf(store, "wb_")).toEqual(await rowsOf(oracle, "wb_"));
      // 40 records of 8 rows (counts merge, series values add up) in writes of about 100 rows (at most one record
      // more); the one holding record 25 is refused as a whole and written again record by record, and no other.
      const merged = writes.filter((b) => b.flushIds !== undefined);
      expect(merged.length).toBeGreaterThanOrEqual(2);
      expect(merged.every((b) => b.size < 100 + 8)).toBe(true);
      expect(merged.flatMap((b) => b.flushIds)).toEqual(plans.map((_, i) => `wb:${i}`));
      const overlapped = merged.find((b) => b.flushIds!.includes("wb:25"))!;
      expect(writes.filter((b) => b.flushIds === undefined).map((b) => b.flushId)).toEqual(overlapped.flushIds);
    } finally {
      await store.close();
      await oracle.close();
    }
  }, 60_000);
});

/**
 * Redis keeps a flush's mark in the slot of its smallest name hash (per
 * node on a cluster): records of different names merged must each be
 * looked for where that record alone would have left its mark. The rounds'
 * records name different subsets of the names, so their marks differ.
 */
describe("merged spool replay: Redis", () => {
  if (!shouldRun("merged spool replay: Redis", redisBinariesAvailable(), "redis-server not on the PATH")) {
    it.skip("needs redis-server", () => {});
    return;
  }
  it("standalone: every record applied exactly once across crashes mid-replay, whatever the merging", async () => {
    const server = await startRedisServer();
    const store = await openStore(server.url);
    const oracle = await openStore(`sqlite:///${join(dir, "redis-oracle.db")}`);
    try {
      expect(store.mergedFlushes).toBe(true);
      await roundsAgainst(store, oracle, "rd", 40);
    } finally {
      await store.close();
      await oracle.close();
      await server.stop();
    }
  }, 180_000);

  it("cluster (3 masters): every record applied exactly once across crashes mid-replay, whatever the merging", async () => {
    const cluster = await startCluster({ replicas: 0 });
    try {
      const store = await openStore(cluster.url);
      const oracle = await openStore(`sqlite:///${join(dir, "cluster-oracle.db")}`);
      try {
        expect(store.mergedFlushes).toBe(true);
        await roundsAgainst(store, oracle, "rc", 30);
      } finally {
        await store.close();
        await oracle.close();
      }
    } finally {
      await cluster.stop();
    }
  }, 300_000);
});

/** A SQL server on loopback: the same rounds, tables under prefixes of their own, dropped afterwards. */
async function sqlRounds(label: string, urls: string[]): Promise<void> {
  const server = await findServer({ label, urls, envVar: "", open: (u) => openStore(u) as Promise<SqlStore> });
  describe(`merged spool replay: ${label}`, () => {
    const ok = "url" in server;
    if (!shouldRun(`merged spool replay: ${label}`, ok, `no server at ${urls.join(" or ")}`)) {
      it.skip("needs a reachable server", () => {});
      return;
    }
    it("every record applied exactly once across crashes mid-replay, whatever the merging", async () => {
      const store = (await openStore((server as { url: string }).url)) as SqlStore;
      const oracle = await openStore(`sqlite:///${join(dir, `${label}-oracle.db`)}`);
      const tag = `sm${label.slice(0, 2).toLowerCase()}${process.pid}_${Date.now().toString(36)}_`;
      const from = serial + 1;
      try {
        expect(store.mergedFlushes).toBe(true);
        await roundsAgainst(store, oracle, tag, 12);
      } finally {
        for (let i = from; i <= serial; i++) for (const p of [`${tag}${i}_`, `${tag}${i}_z`]) await store.dropTables(p).catch(() => {});
        await store.close();
        await oracle.close();
      }
    }, 180_000);
  });
}

await sqlRounds("PostgreSQL", process.env.TORUS_TEST_POSTGRES_URL ? [process.env.TORUS_TEST_POSTGRES_URL] : ["postgresql://postgres@127.0.0.1:5432/test", "postgresql://root@127.0.0.1:5432/test"]);
await sqlRounds("MariaDB", [process.env.TORUS_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test"]);
