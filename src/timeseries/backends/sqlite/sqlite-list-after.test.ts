import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WriteBatch } from "../../write-batch.js";
import { Timeseries } from "../../timeseries.js";
import { SqliteStore } from "./sqlite-store.js";

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0) / 1000;
const INTERVALS = { minute: { step: 60, steps: 100 } };

describe("sqlite listAfter", () => {
  const dir = mkdtempSync(join(tmpdir(), "torus-list-after-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function write(ts: Timeseries, names: string[]): Promise<void> {
    const batch = new WriteBatch();
    for (const name of names) ts.stage(batch, name, 1, NOW);
    await ts.store.write(batch);
  }

  it("lists every name from 0, then only the names first stored since, by this connection or another", async () => {
    const file = `sqlite:///${join(dir, "names.db")}`;
    const reader = new SqliteStore(file);
    const other = new SqliteStore(file);
    const counts = new Timeseries(reader, { type: "count", intervals: INTERVALS, clock: () => NOW });
    const theirCounts = new Timeseries(other, { type: "count", intervals: INTERVALS, clock: () => NOW });
    const gauges = new Timeseries(other, { type: "gauge", intervals: INTERVALS, clock: () => NOW });
    const scoped = new Timeseries(other, { type: "count", prefix: "p", intervals: INTERVALS, clock: () => NOW });
    try {
      const empty = await reader.listAfter(counts.ns, 0);
      expect(empty.names).toEqual([]);

      await write(counts, ["a.b", "a.c"]);
      const first = await reader.listAfter(counts.ns, 0);
      expect(first.names.sort()).toEqual(["a.b", "a.c"]);
      expect(await reader.listAfter(counts.ns, first.next)).toEqual({ names: [], next: first.next });

      // Rewriting a known name adds nothing; a new name from another connection is listed once.
      await write(theirCounts, ["a.b", "x.y"]);
      const second = await reader.listAfter(counts.ns, first.next);
      expect(second.names).toEqual(["x.y"]);
      expect(second.next).toBeGreaterThan(first.next);

      // Another type's names (same prefix) are not this namespace's; another prefix is another table.
      await write(gauges, ["g.only"]);
      await write(scoped, ["p.only"]);
      const third = await reader.listAfter(counts.ns, second.next);
      expect(third.names).toEqual([]);
      expect((await reader.listAfter(gauges.ns, 0)).names).toEqual(["g.only"]);
      expect((await reader.listAfter(scoped.ns, 0)).names).toEqual(["p.only"]);

      // From 0 it is the same set as list().
      expect((await reader.listAfter(counts.ns, 0)).names.sort()).toEqual(await reader.list(counts.ns));

      // Pages: every name once, in the order stored, and the last page's cursor is the full listing's.
      const more = Array.from({ length: 25 }, (_, i) => `m.n${i}`);
      await write(counts, more);
      const whole = await reader.listAfter(counts.ns, 0);
      const paged: string[] = [];
      let cursor = 0;
      let pages = 0;
      for (;;) {
        const page = await reader.listAfter(counts.ns, cursor, 10);
        expect(page.names.length).toBeLessThanOrEqual(10);
        paged.push(...page.names);
        cursor = page.next;
        pages++;
        if (page.names.length < 10) break;
      }
      expect(paged).toEqual(whole.names);
      expect(new Set(paged).size).toBe(paged.length);
      expect(pages).toBe(Math.floor(whole.names.length / 10) + 1);
      expect(cursor).toBe(whole.next);
    } finally {
      await reader.close();
      await other.close();
    }
  });

  it("lists a name again when it gets data of another type, or is deleted and written again", async () => {
    const store = new SqliteStore(`sqlite:///${join(dir, "again.db")}`);
    const counts = new Timeseries(store, { type: "count", intervals: INTERVALS, clock: () => NOW });
    const gauges = new Timeseries(store, { type: "gauge", intervals: INTERVALS, clock: () => NOW });
    try {
      await write(counts, ["both", "gone"]);
      const g0 = await store.listAfter(gauges.ns, 0);
      expect(g0.names).toEqual([]);
      await write(gauges, ["both"]);
      expect((await store.listAfter(gauges.ns, g0.next)).names).toEqual(["both"]);
      const c0 = await store.listAfter(counts.ns, 0);
      await counts.delete("gone");
      const c1 = await store.listAfter(counts.ns, c0.next);
      expect(c1.names).toEqual([]);
      await write(counts, ["gone"]);
      expect((await store.listAfter(counts.ns, c1.next)).names).toEqual(["gone"]);
    } finally {
      await store.close();
    }
  });

  it("a file made before the log gets it, filled, when next opened", async () => {
    const file = join(dir, "old.db");
    const store = new SqliteStore(`sqlite:///${file}`);
    const counts = new Timeseries(store, { type: "count", intervals: INTERVALS, clock: () => NOW });
    await write(counts, ["old.a", "old.b"]);
    // As a store from before the log left it.
    const db = store.handle as import("better-sqlite3").Database;
    for (const type of ["count", "gauge", "histogram", "set", "series"]) db.exec(`DROP TRIGGER "${type}_listed_in"; DROP TRIGGER "${type}_listed_out";`);
    db.exec(`DROP TABLE "listed"`);
    await store.close();
    const reopened = new SqliteStore(`sqlite:///${file}`);
    const again = new Timeseries(reopened, { type: "count", intervals: INTERVALS, clock: () => NOW });
    try {
      const all = await reopened.listAfter(again.ns, 0);
      expect(all.names.sort()).toEqual(["old.a", "old.b"]);
      await write(again, ["old.a", "new.a"]);
      expect((await reopened.listAfter(again.ns, all.next)).names).toEqual(["new.a"]);
    } finally {
      await reopened.close();
    }
  });
});
