import { Redis } from "ioredis";
import { describe } from "vitest";
import { conformanceSuite } from "../../testing/conformance.js";
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
