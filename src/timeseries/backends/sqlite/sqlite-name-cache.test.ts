import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorCodes } from "../../errors.js";
import { WriteBatch } from "../../write-batch.js";
import { Timeseries } from "../../timeseries.js";
import { SqliteStore } from "./sqlite-store.js";

const NOW = Date.UTC(2026, 2, 1) / 1000;
const dir = mkdtempSync(join(tmpdir(), "torus-sqlite-names-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("SQLite name-id cache (client_config.name_cache_mb)", () => {
  it("stays in its bound over many names and prefixes; evicted names read and write as before", async () => {
    const bound = 0.002 * 1024 * 1024;
    const store = new SqliteStore(`sqlite:///${join(dir, "small.db")}`, { name_cache_mb: 0.002 });
    try {
      const spaces = ["one", "two.x"].map((prefix) => new Timeseries(store, { type: "count", prefix, intervals: { minute: { step: 60 } }, clock: () => NOW }));
      const names = Array.from({ length: 300 }, (_, i) => `evict.${i}`);
      for (let round = 0; round < 2; round++) {
        for (let b = 0; b < names.length; b += 40) {
          const batch = new WriteBatch();
          for (const [k, ts] of spaces.entries()) for (const name of names.slice(b, b + 40)) ts.stage(batch, name, k + 1, NOW);
          await store.write(batch);
          expect(store.names.bytes).toBeLessThanOrEqual(bound);
        }
      }
      expect(store.names.size).toBeLessThan(names.length / 4);
      for (const [k, ts] of spaces.entries()) {
        for (const name of names) expect(await ts.get(name, "minute", { timestamp: NOW })).toBe(2 * (k + 1));
        expect(await ts.list()).toEqual([...names].sort());
        expect(store.names.bytes).toBeLessThanOrEqual(bound);
      }
      await spaces[0].delete("evict.3");
      expect(await spaces[0].get(["evict.3", "evict.4"], "minute", { timestamp: NOW })).toBe(2);
      expect(await spaces[1].get("evict.3", "minute", { timestamp: NOW })).toBe(4);
    } finally {
      await store.close();
    }
  });

  it("a bad setting is refused when the store opens, naming it", () => {
    expect(() => new SqliteStore("sqlite:///:memory:", { name_cache_mb: "lots" })).toThrow(expect.objectContaining({ code: ErrorCodes.BAD_OPTION, message: expect.stringContaining("name_cache_mb") }));
  });

  it("a writer_thread that is not true or false is refused, naming it", () => {
    for (const bad of ["yes", 1, null]) {
      expect(() => new SqliteStore("sqlite:///:memory:", { writer_thread: bad })).toThrow(expect.objectContaining({ code: ErrorCodes.BAD_OPTION, message: expect.stringContaining("writer_thread") }));
    }
  });

  it("is not handed to better-sqlite3", () => {
    const store = new SqliteStore("sqlite:///:memory:", { name_cache_mb: 1 });
    expect(store.names.maxBytes).toBe(1024 * 1024);
    return store.close();
  });
});
