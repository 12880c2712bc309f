/**
 * What the conformance suite cannot see from one store: several processes
 * writing at once, flushes larger than one statement, byte-exact keys and
 * server limits. Each SQL backend runs it against its real server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../errors.js";
import type { TypeName } from "../store.js";
import { WriteBatch } from "../write-batch.js";
import { Timeseries } from "../timeseries.js";
import type { Query, SqlDialect } from "../backends/sql/sql-dialect.js";
import type { SqlStore } from "../backends/sql/sql-store.js";

const NOW = Date.UTC(2026, 2, 1) / 1000;
const INTERVALS = { minute: { step: 60, steps: 100_000 } };

/** Pseudo-random text: incompressible, so a server cannot squeeze it under its index limits. */
function noise(length: number): string {
  let a = 12345;
  let out = "";
  for (let i = 0; i < length; i++) {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    out += String.fromCharCode(97 + (a >>> 16) % 26);
  }
  return out;
}

/** A server to run the suite against, and how to pull the rug from under a store. */
export interface SqlSuiteServer {
  label: string;
  url: string;
  dialect: SqlDialect;
  open(url: string, clientConfig?: Record<string, unknown>): Promise<SqlStore>;
  /** A store of its own, and a way to make the server drop all its connections (as a restart would). */
  victim(): Promise<{ store: SqlStore; kill(): Promise<void> }>;
  /** The server's own view of the (interval_id, bucket) index on a type's table. */
  expireIndex: ExpireIndexProbe;
  /** Locks a table against writes (not reads) from a connection of its own until the returned function is called. */
  hold(store: SqlStore, table: string): Promise<() => Promise<void>>;
}

/** Catalogue and planner queries, per server, behind the expire-index tests. */
export interface ExpireIndexProbe {
  /** Removes the index, leaving the table as stores made it before the index existed. */
  drop(store: SqlStore, prefix: string, type: TypeName): Promise<void>;
  present(store: SqlStore, prefix: string, type: TypeName): Promise<boolean>;
  /** Refreshes the table's statistics, then returns the server's plan for `q` as text. */
  explain(store: SqlStore, prefix: string, type: TypeName, q: Query): Promise<string>;
  /** Matches a plan that reads a range of the index, and one that reads the whole table. */
  range: RegExp;
  fullScan: RegExp;
}

export function sqlStoreSuite({ label, url, dialect, open, victim, expireIndex, hold }: SqlSuiteServer): void {
  describe(`${label} store beyond conformance`, () => {
    let store: SqlStore;
    let n = 0;
    const prefixes = new Set<string>();
    const prefix = () => {
      const p = `x${Date.now().toString(36)}${(n++).toString(36)}_`;
      prefixes.add(p);
      return p;
    };
    const series = (s: SqlStore, type: TypeName, p: string, extra = {}) => new Timeseries(s, { type, prefix: p, intervals: INTERVALS, clock: () => NOW, ...extra });

    beforeAll(async () => {
      store = await open(url);
    });
    afterAll(async () => {
      for (const p of prefixes) await store?.dropTables(p);
      await store?.close();
    });

    it("two processes creating the same tables and flushing overlapping buckets in opposite orders all land", async () => {
      const p = prefix();
      const stores = await Promise.all([open(url), open(url)]);
      try {
        const names = Array.from({ length: 300 }, (_, i) => `race.${i}`);
        const writers = stores.flatMap((s, w) =>
          [0, 1, 2].map(async (k) => {
            const ts = series(s, "count", p);
            const order = (w + k) % 2 === 0 ? names : [...names].reverse();
            let retries = 0;
            for (let round = 0; round < 5; round++) {
              const batch = new WriteBatch();
              for (const name of order) for (let m = 0; m < 10; m++) ts.stage(batch, name, 1, NOW - m * 60);
              for (;;) {
                try {
                  await s.write(batch);
                  break;
                } catch (err) {
                  // What the ingest path does with a retryable failure: keep the batch, try again.
                  if (!(err instanceof StoreError && err.retryable) || ++retries > 5) throw err;
                }
              }
            }
            return retries;
          }),
        );
        const retries = await Promise.all(writers);
        // Rows are upserted in key order, so writers queue on each other instead of deadlocking.
        expect(retries.reduce((a, b) => a + b, 0)).toBe(0);
        const ts = series(store, "count", p);
        const got = await ts.series(names, "minute", { start: NOW - 9 * 60, end: NOW });
        expect([...got.values()]).toEqual(new Array(10).fill(names.length * 2 * 3 * 5));
        expect(await ts.list()).toEqual([...names].sort());
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it("listAfter lists a name whose id commits after a higher one it has already listed past", async () => {
      const p = prefix();
      const counts = series(store, "count", p);
      const gauges = series(store, "gauge", p);
      await counts.insert("ooo.first", 1, NOW);
      await gauges.insert("ooo.first", 1, NOW);
      let cursor = (await store.listAfter(counts.ns, 0)).next;
      // A count flush takes the next name id, then waits on the count table; a gauge flush takes the one after and commits.
      const writer = await open(url);
      const late = series(writer, "count", p);
      await late.insert("ooo.first", 2, NOW); // its tables are checked: nothing but the flush waits on the lock
      const release = await hold(store, store.tables(p).count);
      let flushed: Promise<void> | undefined;
      try {
        flushed = late.insert("ooo.late", 1, NOW);
        await new Promise((r) => setTimeout(r, 300)); // the count flush has its name id by now
        await gauges.insert("ooo.early", 1, NOW);
        const early = await store.listAfter(gauges.ns, 0);
        expect(early.names.sort()).toEqual(["ooo.early", "ooo.first"]);
        const before = await store.listAfter(counts.ns, cursor);
        expect(before.names).toEqual([]);
        cursor = before.next;
      } finally {
        await release();
        await flushed;
        await writer.close();
      }
      // Listed once its flush commits, from the cursor that went past the id above it.
      const after = await store.listAfter(counts.ns, cursor);
      expect(after.names).toEqual(["ooo.late"]);
      expect((await store.listAfter(counts.ns, after.next)).names).toEqual([]);
    });

    it("a flush of several statements is one transaction: a failure in its last one leaves nothing behind", async () => {
      const p = prefix();
      const counts = series(store, "count", p);
      const sets = series(store, "set", p, { write_func: String, read_func: (v: string) => v });
      const buckets = Math.ceil(dialect.chunkRows * 1.5);
      const batch = new WriteBatch();
      for (let i = 0; i < buckets; i++) counts.stage(batch, `big.${i % 100}`, 1, NOW - Math.floor(i / 100) * 60);
      // Sets are written after counts (parts go in table order), and no server can index this member.
      // Staging refuses a member this long (see limits.ts): put it into the batch as it is, past that check.
      const part = batch.part(sets, sets.ns, sets.intervals);
      batch.size += part.add(part.slot("huge"), 0, sets.intervals[0].subOf(NOW), noise(100_000), 0);
      const err = await store.write(batch).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).retryable).toBe(false);
      expect((err as Error).message).not.toContain("\n");
      expect(await counts.list()).toEqual([]);
      expect(await sets.list()).toEqual([]);
      batch.parts.delete(sets);
      await store.write(batch);
      const total = await counts.series(Array.from({ length: 100 }, (_, i) => `big.${i}`), "minute", {
        start: NOW - Math.ceil(buckets / 100) * 60,
        end: NOW,
        collapse: true,
        transform: "sum",
      });
      expect([...total.values()]).toEqual([buckets]);
    });

    it("two timeseries on one prefix and type may stage the same bucket into one batch", async () => {
      const p = prefix();
      const [a, b] = [series(store, "count", p), series(store, "count", p)];
      const batch = new WriteBatch();
      a.stage(batch, "same", 2, NOW);
      b.stage(batch, "same", 3, NOW);
      await store.write(batch);
      expect(await a.get("same", "minute", { timestamp: NOW })).toBe(5);
    });

    it("names and members are compared byte for byte", async () => {
      const p = prefix();
      const sets = series(store, "set", p, { write_func: String, read_func: (v: string) => v });
      const members = ["a", "A", "a ", "á", "a\u0301", "ß", "ss", "😀"];
      const batch = new WriteBatch();
      for (const name of ["x", "X", "x "]) for (const m of members) sets.stage(batch, name, m, NOW);
      await store.write(batch);
      expect(await sets.list()).toEqual(["X", "x", "x "]);
      expect(await sets.get("x ", "minute", { timestamp: NOW })).toEqual(new Set(members));
    });

    it("a name with a lone surrogate is stored (as U+FFFD, as drivers send it) and read back by its own spelling", async () => {
      const ts = series(store, "count", prefix());
      await ts.insert("bad\uD800name", 4, NOW);
      expect(await ts.get("bad\uD800name", "minute", { timestamp: NOW })).toBe(4);
      expect(await ts.list()).toEqual(["bad\uFFFDname"]);
    });

    it("a gauge keeps the newest value by point time; on a tie the later write wins", async () => {
      const ts = series(store, "gauge", prefix());
      await ts.insert("g", 5, NOW - 10);
      await ts.insert("g", 7, NOW - 10);
      await ts.insert("g", 9, NOW - 20);
      expect(await ts.get("g", "minute", { timestamp: NOW - 10 })).toBe(7);
    });

    it("after the server drops every connection, writes fail retryably (and apply nothing) or succeed, then recover", async () => {
      const v = await victim();
      try {
        const ts = series(v.store, "count", prefix());
        await ts.insert("k", 1, NOW);
        await v.kill();
        let failed = 0;
        for (let i = 0; i < 3; i++) {
          try {
            await ts.insert("k", 1, NOW);
          } catch (err) {
            expect(err).toBeInstanceOf(StoreError);
            expect(err).toMatchObject({ retryable: true });
            failed++;
          }
        }
        expect(failed).toBeLessThanOrEqual(1);
        expect(await series(store, "count", [...prefixes].pop()!).get("k", "minute", { timestamp: NOW })).toBe(4 - failed);
      } finally {
        await v.store.close();
      }
    });

    it("a name-id cache far smaller than the names in use stays in its bound; evicted names read and write as before", async () => {
      const small = await open(url, { name_cache_mb: 0.002 });
      try {
        const ts = series(small, "count", prefix());
        const names = Array.from({ length: 200 }, (_, i) => `evict.${i}`);
        for (let round = 0; round < 2; round++) {
          for (let b = 0; b < names.length; b += 50) {
            const batch = new WriteBatch();
            for (const name of names.slice(b, b + 50)) ts.stage(batch, name, 1, NOW);
            await small.write(batch);
            expect(small.names.bytes).toBeLessThanOrEqual(0.002 * 1024 * 1024);
          }
        }
        expect(small.names.size).toBeLessThan(names.length / 4);
        for (const name of names) expect(await ts.get(name, "minute", { timestamp: NOW })).toBe(2);
        expect(await ts.list()).toEqual([...names].sort());
        await ts.delete("evict.7");
        expect(await ts.get(["evict.7", "evict.8"], "minute", { timestamp: NOW })).toBe(2);
      } finally {
        await small.close();
      }
    });

    it("expire without a name is a range delete on the (interval_id, bucket) index, not a scan of the table", async () => {
      const p = prefix();
      const ts = series(store, "count", p);
      // 20,000 rows: 200 names × 100 minutes, and a second interval the delete must leave alone.
      const two = new Timeseries(store, { type: "count", prefix: p, intervals: { ...INTERVALS, hour: { step: 3600, steps: 100_000 } }, clock: () => NOW });
      const batch = new WriteBatch();
      for (let n = 0; n < 200; n++) for (let m = 0; m < 100; m++) (m === 0 ? two : ts).stage(batch, `ex.${n}`, 1, NOW - m * 60);
      await store.write(batch);
      const cutoff = NOW - 97 * 60; // before the two oldest minutes' buckets end: 400 rows of 20,200
      const q = await store.expireQuery({ prefix: p, type: "count" }, "minute", cutoff);
      expect(q).not.toBeNull();
      const plan = await expireIndex.explain(store, p, "count", q!);
      expect(plan).toMatch(expireIndex.range);
      expect(plan).not.toMatch(expireIndex.fullScan);
      await store.expire({ prefix: p, type: "count" }, "minute", cutoff);
      const names = Array.from({ length: 200 }, (_, n) => `ex.${n}`);
      const left = await ts.series(names, "minute", { start: NOW - 99 * 60, end: NOW, collapse: true, transform: "sum" });
      expect([...left.values()].reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(200 * 98);
      expect(await two.get(names, "hour", { timestamp: NOW })).toBe(200);
      // A never-written interval or name has nothing to delete: no statement at all.
      expect(await store.expireQuery({ prefix: p, type: "count" }, "fortnight", cutoff)).toBeNull();
      expect(await store.expireQuery({ prefix: p, type: "count" }, "minute", cutoff, "never.written")).toBeNull();
    });

    it("a table made before the expire index gets it when a store next opens it, and keeps its rows", async () => {
      const p = prefix();
      await series(store, "count", p).insert("old", 3, NOW);
      await expireIndex.drop(store, p, "count");
      expect(await expireIndex.present(store, p, "count")).toBe(false);
      const later = await open(url);
      try {
        const ts = series(later, "count", p);
        expect(await ts.get("old", "minute", { timestamp: NOW })).toBe(3);
        expect(await expireIndex.present(later, p, "count")).toBe(true);
        // Opening again finds it there and changes nothing.
        const again = await open(url);
        try {
          expect(await series(again, "count", p).get("old", "minute", { timestamp: NOW })).toBe(3);
        } finally {
          await again.close();
        }
      } finally {
        await later.close();
      }
    });

    it("prefixes too long for table names, or holding quotes, get tables of their own that fit the server's limit", async () => {
      const base = prefix();
      const odd = [`${base}${"p".repeat(60)}1`, `${base}${"p".repeat(60)}2`, `${base}"\`'; DROP TABLE x; --`, `${base}Ünïcödé schema`];
      for (const p of odd) prefixes.add(p);
      for (const [i, p] of odd.entries()) await series(store, "count", p).insert("a", i + 1, NOW);
      for (const [i, p] of odd.entries()) {
        const ts = series(store, "count", p);
        expect(await ts.get("a", "minute", { timestamp: NOW })).toBe(i + 1);
        expect(await ts.list()).toEqual(["a"]);
      }
      for (const p of odd) {
        for (const table of Object.values(store.tables(p))) expect(Buffer.byteLength(table) - 2).toBeLessThanOrEqual(dialect.maxIdentifierBytes);
      }
    });
  });
}
