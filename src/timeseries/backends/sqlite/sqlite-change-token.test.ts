import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WriteBatch } from "../../write-batch.js";
import { Timeseries } from "../../timeseries.js";
import { SqliteStore } from "./sqlite-store.js";

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0) / 1000;
const INTERVALS = { minute: { step: 60, steps: 100 } };

describe("sqlite change token", () => {
  const dir = mkdtempSync(join(tmpdir(), "torus-token-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function write(ts: Timeseries, name: string, value: number): Promise<void> {
    const batch = new WriteBatch();
    ts.stage(batch, name, value, NOW);
    await ts.store.write(batch);
  }

  for (const writerThread of [false, true]) {
    it(`moves on this store's writes, deletes and expiries and on another connection's commits${writerThread ? " (writer thread)" : ""}`, async () => {
      const file = `sqlite:///${join(dir, `token-${writerThread}.db`)}`;
      const reader = new SqliteStore(file, { writer_thread: writerThread });
      const other = new SqliteStore(file);
      const mine = new Timeseries(reader, { type: "count", intervals: INTERVALS, clock: () => NOW });
      const theirs = new Timeseries(other, { type: "count", intervals: INTERVALS, clock: () => NOW });
      const seen = new Set<string>();
      const fresh = () => {
        const t = reader.changeToken();
        expect(seen.has(t), `token ${t} seen before`).toBe(false);
        seen.add(t);
        return t;
      };
      let token = fresh();
      // Reads leave it alone.
      await mine.series("a", "minute", { steps: 10 });
      expect(reader.changeToken()).toBe(token);
      await write(mine, "a", 1);
      token = fresh();
      await write(theirs, "a", 2);
      token = fresh();
      expect(reader.changeToken()).toBe(token);
      await theirs.delete("a");
      token = fresh();
      await write(theirs, "b", 1);
      fresh();
      await mine.delete("b");
      fresh();
      await mine.delete_all();
      fresh();
      await mine.expire();
      fresh();
      await reader.close();
      await other.close();
    });
  }

  it("an in-memory store has one too", async () => {
    const store = new SqliteStore("sqlite:///:memory:");
    const ts = new Timeseries(store, { type: "count", intervals: INTERVALS, clock: () => NOW });
    const before = store.changeToken();
    await write(ts, "a", 1);
    expect(store.changeToken()).not.toBe(before);
    await store.close();
  });
});
