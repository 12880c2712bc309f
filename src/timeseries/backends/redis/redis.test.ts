import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { conformanceSuite, NOW } from "../../testing/conformance.js";
import { Timeseries } from "../../timeseries.js";
import { KeySpace } from "./redis-keys.js";
import { RedisStore } from "./redis-store.js";
import { TEST_REDIS_URL, shouldRun, storeAvailable } from "../../testing/redis-test-cluster.js";

const available = await storeAvailable(TEST_REDIS_URL);

/** Each suite writes under its own prefixes; remove them afterwards so the shared server stays clean. */
async function dropTestKeys(): Promise<void> {
  const c = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  c.on("error", () => {});
  try {
    await c.connect();
    // Test-only clean-up: a SCAN limited to the suite's prefixes (the store itself never scans).
    for await (const keys of c.scanStream({ match: "c*_:*", count: 1000 })) if ((keys as string[]).length) await c.unlink(...(keys as string[]));
  } finally {
    c.disconnect();
  }
}

if (shouldRun("Redis", available, `no Redis at ${TEST_REDIS_URL}`)) {
  conformanceSuite({
    label: "redis",
    changeToken: false,
    open: async () => RedisStore.open(TEST_REDIS_URL),
    cleanup: dropTestKeys,
  });
} else {
  describe.skip("conformance: redis (no server)", () => {});
}

describe.skipIf(!available)("redis listAfter", () => {
  it("a full listing logs the names a registry holds but the log lacks (stored before it existed), then only new ones are listed", async () => {
    const store = await RedisStore.open(TEST_REDIS_URL);
    const prefix = `c${Date.now().toString(36)}la_`;
    const ts = new Timeseries(store, { type: "count", prefix, intervals: { minute: { step: 60, steps: 10 } }, clock: () => NOW });
    const ks = new KeySpace(ts.ns);
    try {
      for (const name of ["old.a", "old.b", "old.c"]) await ts.insert(name, 1, NOW);
      // As a store from before the log left it: registry and data, no log.
      await store.handle.del(`${ks.tags}log`, `${ks.tags}seq`);
      const first = await store.listAfter(ts.ns, 0, 2);
      const rest = await store.listAfter(ts.ns, first.next, 2);
      expect([...first.names, ...rest.names].sort()).toEqual(["old.a", "old.b", "old.c"]);
      expect(rest.names).toHaveLength(1);
      await ts.insert("new.a", 1, NOW);
      await ts.insert("old.a", 1, NOW);
      expect((await store.listAfter(ts.ns, rest.next)).names).toEqual(["new.a"]);
      // Deleted names leave the log with the registry.
      await ts.delete("old.b");
      expect(await store.handle.zscore(`${ks.tags}log`, "old.b")).toBeNull();
    } finally {
      await store.deleteAll(ts.ns);
      await store.handle.del(`${ks.tags}log`, `${ks.tags}seq`);
      await store.close();
    }
  });
});
