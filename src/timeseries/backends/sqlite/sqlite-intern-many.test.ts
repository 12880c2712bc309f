import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WriteBatch } from "../../write-batch.js";
import { Timeseries } from "../../timeseries.js";
import { SqliteStore } from "./sqlite-store.js";

const NOW = Date.UTC(2026, 2, 1) / 1000;
const dir = mkdtempSync(join(tmpdir(), "torus-sqlite-intern-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Names and key ranges go in many rows per statement: batches larger than one statement, mixing names
// the store knows (cached, or known only to the file) with new ones, must come back whole.
describe("SQLite: many new names in one flush", () => {
  it("interns names and widens key ranges across statement boundaries, old and new names mixed", async () => {
    const file = `sqlite:///${join(dir, "many.db")}`;
    const ts = (store: SqliteStore) => new Timeseries(store, { type: "count", prefix: "m", intervals: { minute: { step: 60 }, hour: { step: 3600 } }, clock: () => NOW });
    const names = Array.from({ length: 1_300 }, (_, i) => (i % 3 === 0 ? `many.${i};dc=dc${i % 4};host=h${i}` : `many.${i}`));
    const expected = new Map<string, number>();
    let store = new SqliteStore(file);
    try {
      // Every fifth name first, alone: known to the file before the big flush.
      const early = new WriteBatch();
      for (let i = 0; i < names.length; i += 5) {
        ts(store).stage(early, names[i], i + 1, NOW - 7200);
        expected.set(names[i], i + 1);
      }
      await store.write(early);
      await store.close();
      // A new connection knows nothing of them: each is found by the insert, not the cache.
      store = new SqliteStore(file);
      const series = ts(store);
      const big = new WriteBatch();
      for (const [i, name] of names.entries()) {
        series.stage(big, name, 1_000 * (i + 1), NOW);
        series.stage(big, name, 1, NOW - 60);
      }
      await store.write(big);
      for (const [i, name] of names.entries()) {
        expect(await series.get(name, "minute", { timestamp: NOW })).toBe(1_000 * (i + 1));
        expect(await series.get(name, "minute", { timestamp: NOW - 60 })).toBe(1);
        expect(await series.get(name, "minute", { timestamp: NOW - 7200 })).toBe(expected.get(name) ?? null);
      }
      expect(await series.list()).toEqual([...names].sort());
      const tagged = names.filter((n) => n.includes(";dc=dc1;"));
      expect((await store.findTagged({ prefix: "m", type: "count" }, [{ tag: "dc", values: ["dc1"] }])).sort()).toEqual([...tagged].sort());
      // The widened ranges are what the next flush trusts: a write below the first bucket must still be read.
      const below = new WriteBatch();
      for (const name of names.slice(0, 300)) series.stage(below, name, 5, NOW - 3 * 7200);
      await store.write(below);
      for (const name of names.slice(0, 300)) expect(await series.get(name, "hour", { timestamp: NOW - 3 * 7200 })).toBe(5);
    } finally {
      await store.close();
    }
  });
});
