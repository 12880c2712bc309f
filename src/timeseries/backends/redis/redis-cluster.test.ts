import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conformanceSuite, NOW } from "../../testing/conformance.js";
import { StoreError } from "../../errors.js";
import { WriteBatch } from "../../write-batch.js";
import { Timeseries } from "../../timeseries.js";
import { RedisStore } from "./redis-store.js";
import { redisBinariesAvailable, shouldRun, startCluster, until, type TestCluster } from "../../testing/redis-test-cluster.js";

const binaries = redisBinariesAvailable();
const run = shouldRun("Redis Cluster", binaries, "redis-server/redis-cli not on the PATH");

// One cluster for the file, started before the suites are collected: the
// conformance suite's own hooks have the default timeout, too short for it.
const cluster: TestCluster | undefined = run ? await startCluster() : undefined;
afterAll(async () => cluster?.stop(), 30_000);

if (run) {
  conformanceSuite({
    label: "redis-cluster",
    changeToken: false,
    open: async () => RedisStore.open(cluster!.url),
  });

  describe("redis-cluster: failover", () => {
    let c: TestCluster;
    let store: RedisStore;
    beforeAll(async () => {
      c = cluster!;
      store = await RedisStore.open(c.url);
    }, 90_000);
    afterAll(async () => store?.close());

    /** Write with retries, as the ingest server does: a retryable StoreError means "try again later". */
    async function writeRetrying(batch: WriteBatch): Promise<number> {
      let tries = 0;
      for (;;) {
        try {
          await store.write(batch);
          return tries;
        } catch (err) {
          if (!(err instanceof StoreError) || !err.retryable || ++tries > 60) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }

    it("survives SIGKILL of a master: acknowledged writes before and writes after read back", async () => {
      const ts = new Timeseries(store, { type: "count", prefix: "failover", intervals: { minute: { step: 60, steps: 1440 } }, clock: () => NOW });
      const names = Array.from({ length: 200 }, (_, i) => `fo.stat${i}`); // spread over every master
      const expected = new Map<string, number>(names.map((n) => [n, 0]));
      const writeRound = async (v: number) => {
        const batch = new WriteBatch();
        for (const n of names) ts.stage(batch, n, v, NOW);
        const tries = await writeRetrying(batch);
        for (const n of names) expected.set(n, expected.get(n)! + v);
        return tries;
      };
      await writeRound(1);
      await writeRound(2);
      // Replication is asynchronous: WAIT makes "acknowledged" mean "on the replica too", so a failover cannot lose it.
      for (const node of (store.handle as Cluster).nodes("master")) await node.call("WAIT", "1", "5000");

      const masters = await c.masters();
      const victim = masters[0];
      c.kill(victim);
      // Writes during the failover either land or fail retryably; the retry loop carries them through.
      const during = await writeRound(4);
      console.log(`failover: write during the failover needed ${during} retries`);
      await until("a replica promoted in place of the killed master", 30_000, async () => {
        const now = await c.masters();
        return now.length === 3 && !now.includes(victim);
      });
      await c.waitHealthy(30_000);
      await writeRound(8);

      const got = await ts.series(names, "minute", { start: NOW, end: NOW, transform: "sum" });
      expect([...got.values()]).toEqual([15 * names.length]);
      for (const n of names) {
        const one = await ts.get(n, "minute", { timestamp: NOW });
        expect(one, n).toBe(expected.get(n));
      }
      expect(await ts.list()).toEqual([...names].sort());
    }, 120_000);
  });
} else {
  describe.skip("redis-cluster (no redis-server binary)", () => {});
}
