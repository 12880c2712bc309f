import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { NOW } from "../../testing/conformance.js";
import { ErrorCodes, StoreError, TorusError } from "../../errors.js";
import { WriteBatch } from "../../write-batch.js";
import { Timeseries } from "../../timeseries.js";
import { openStore } from "../open-store.js";
import { RedisStore } from "./redis-store.js";
import { TEST_REDIS_URL, shouldRun, storeAvailable } from "../../testing/redis-test-cluster.js";

describe("redis: connection faults", () => {
  it.each([
    ["redis://127.0.0.1:1/", "redis://127.0.0.1:1/"],
    ["redis://:hunter2@127.0.0.1:1/3", "redis://:***@127.0.0.1:1/3"],
    ["redis-cluster://:hunter2@127.0.0.1:1,127.0.0.1:2", "redis-cluster://:***@127.0.0.1:1,127.0.0.1:2"],
  ])("unreachable %s → a retryable one-line StoreError naming %s", async (url, shown) => {
    const started = Date.now();
    const err = await openStore(url, { connectTimeout: 1_000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    const e = err as StoreError;
    expect(e.retryable).toBe(true);
    expect(e.code).toBe(ErrorCodes.STORE);
    expect(e.message.startsWith(`${shown}: `)).toBe(true);
    expect(e.message).not.toContain("hunter2");
    expect(e.message).not.toContain("\n");
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it.each([
    ["http://127.0.0.1:6379", ErrorCodes.UNSUPPORTED_URL],
    ["redis://127.0.0.1:99999/", ErrorCodes.BAD_URL],
    ["redis://127.0.0.1:6379/zero", ErrorCodes.BAD_URL],
    ["redis://a:1,b:2/", ErrorCodes.BAD_URL],
    ["redis-cluster://127.0.0.1:7000/0", ErrorCodes.BAD_URL],
  ])("bad URL %s → %s before connecting", async (url, code) => {
    await expect(openStore(url)).rejects.toMatchObject({ code });
  });
});

const available = await storeAvailable(TEST_REDIS_URL);
if (shouldRun("Redis fault", available, `no Redis at ${TEST_REDIS_URL}`)) {
  describe("redis: faults against the shared server", () => {
    const base = new URL(TEST_REDIS_URL);
    const opened: RedisStore[] = [];
    // The server is shared (other runs, other suites): this run's keys only, under its own prefix.
    const P = `fault${process.pid}r${Math.floor(Math.random() * 1e9).toString(36)}_`;
    afterAll(async () => {
      await Promise.all(opened.map((s) => s.close()));
      const c = new Redis(TEST_REDIS_URL);
      try {
        for await (const keys of c.scanStream({ match: `${P}*`, count: 1000 })) if ((keys as string[]).length) await c.unlink(...(keys as string[]));
      } finally {
        c.disconnect();
      }
    });

    it("a wrong password → a one-line, non-retryable StoreError without the password", async () => {
      const url = `redis://:wrong@${base.host}${base.pathname}`;
      const err = await RedisStore.open(url, { connectTimeout: 2_000 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreError);
      const e = err as StoreError;
      expect(e.message).toContain(`redis://:***@${base.host}`);
      expect(e.message).not.toContain("wrong");
      expect(e.message).not.toContain("\n");
      expect(e.retryable).toBe(false);
    });

    it("a dropped connection: a write fails fast and retryably or goes through once reconnected, never twice", async () => {
      const store = await RedisStore.open(TEST_REDIS_URL);
      opened.push(store);
      const ts = new Timeseries(store, { type: "count", prefix: `${P}down`, intervals: { minute: { step: 60, steps: 10 } }, clock: () => NOW });
      await ts.insert("x", 1, NOW);
      // Drop this client's connection from the server side: the next write must fail fast, not queue.
      const id = await store.handle.client("ID");
      const admin = new Redis(TEST_REDIS_URL);
      await admin.client("KILL", "ID", String(id));
      admin.disconnect();
      const batch = new WriteBatch();
      ts.stage(batch, "x", 2, NOW);
      let failed: unknown;
      const started = Date.now();
      for (let i = 0; i < 100; i++) {
        try {
          await store.write(batch);
          break;
        } catch (err) {
          failed ??= err;
          expect(err).toBeInstanceOf(StoreError);
          expect((err as StoreError).retryable).toBe(true);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await ts.get("x", "minute", { timestamp: NOW })).toBe(3);
    });

    it("a prefix whose empty {} would scatter a stat over the cluster is refused before writing", async () => {
      const store = await RedisStore.open(TEST_REDIS_URL);
      opened.push(store);
      const ts = new Timeseries(store, { type: "count", prefix: `${P}{}`, intervals: { minute: { step: 60 } } });
      await expect(ts.insert("x", 1)).rejects.toBeInstanceOf(TorusError);
      await expect(ts.insert("x", 1)).rejects.toMatchObject({ code: ErrorCodes.BAD_OPTION });
    });

    it("stat names with braces, colons and any Unicode stay apart and read back", async () => {
      const store = await RedisStore.open(TEST_REDIS_URL);
      opened.push(store);
      const ts = new Timeseries(store, { type: "histogram", prefix: `${P}names`, intervals: { "m:1": { step: 60, resolution: 10 }, m: { step: 60 } }, clock: () => NOW });
      const names = ["a:b", "a", "{a}", "}", "{", "{}x", "日本.統計", "a:b:c", "🚀", "lone\ud800"];
      for (const [i, n] of names.entries()) await ts.insert(n, i + 1, NOW);
      // Redis could hold a NUL, PostgreSQL cannot: the library refuses it for every store alike.
      await expect(ts.insert("x\u0000y", 1, NOW)).rejects.toMatchObject({ field: "name", reason: "nul_byte" });
      // Redis keeps UTF-8: a lone surrogate comes back as U+FFFD, as ioredis sends it.
      expect(await ts.list()).toEqual(names.map((n) => n.replace("\ud800", "\ufffd")).sort());
      for (const [i, n] of names.entries()) {
        expect(await ts.get(n, "m", { timestamp: NOW }), n).toEqual(new Map([[i + 1, 1]]));
        expect(await ts.get(n, "m:1", { timestamp: NOW, condense: true }), n).toEqual(new Map([[i + 1, 1]]));
        expect(Object.keys(await ts.properties(n)).sort()).toEqual(["m", "m:1"]);
      }
    });
  });
} else {
  describe.skip("redis: faults against the shared server (no server)", () => {});
}
