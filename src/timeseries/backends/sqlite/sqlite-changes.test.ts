import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ChangedRange } from "../../store.js";
import { Timeseries } from "../../timeseries.js";
import fc from "fast-check";
import { JOURNAL_KEEP, TouchedBuckets } from "./sqlite-changes.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "torus-journal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NOW = 1_800_000_000 - (1_800_000_000 % 3600);
const INTERVALS = { minute: { step: 60, steps: 600 }, hour: { step: "1h", resolution: 60 } };

/** Every bucket of `interval` that some range covers. */
const covers = (changes: readonly ChangedRange[], interval: string, bucket: number) => changes.some((c) => c.interval === interval && c.first <= bucket && bucket <= c.last);

describe("SQLite change journal (Store.changesSince)", () => {
  const url = `sqlite:///${join(dir, "j.db")}`;
  const a = new SqliteStore(url);
  const b = new SqliteStore(url);
  afterAll(async () => {
    await a.close();
    await b.close();
  });
  const tsA = new Timeseries(a, { type: "count", prefix: "j", intervals: INTERVALS, clock: () => NOW });
  const tsB = new Timeseries(b, { type: "count", prefix: "j", intervals: INTERVALS, clock: () => NOW });
  const other = new Timeseries(b, { type: "gauge", prefix: "j", intervals: INTERVALS, clock: () => NOW });

  it("a first call reports everything; then each write's buckets, by this connection or another", async () => {
    const first = await a.changesSince(tsA.ns, null);
    expect(first.changes).toBeNull();
    expect((await a.changesSince(tsA.ns, first.cursor)).changes).toEqual([]);

    await tsA.bulk_insert({ [NOW - 61]: { x: [1] }, [NOW - 5]: { y: [2] } });
    const mine = await a.changesSince(tsA.ns, first.cursor);
    for (const bucket of [NOW - 120, NOW - 60]) expect(covers(mine.changes!, "minute", bucket)).toBe(true);
    expect(covers(mine.changes!, "hour", NOW - 3600)).toBe(true);
    expect(covers(mine.changes!, "minute", NOW - 3600)).toBe(false);

    // A late point hours back, from the other connection, in a batch with a recent one: two ranges, not the hours between.
    await tsB.bulk_insert({ [NOW - 5 * 3600]: { x: [1] }, [NOW - 1]: { x: [1] } });
    const theirs = await a.changesSince(tsA.ns, mine.cursor);
    expect(covers(theirs.changes!, "minute", NOW - 5 * 3600)).toBe(true);
    expect(covers(theirs.changes!, "minute", NOW - 60)).toBe(true);
    expect(covers(theirs.changes!, "minute", NOW - 3 * 3600)).toBe(false);

    // Another type under the same prefix is not this namespace's change.
    await other.insert("x", 3, NOW - 1);
    expect((await a.changesSince(tsA.ns, theirs.cursor)).changes).toEqual([]);
  });

  it("random batches: every bucket written is covered by a range reported after it", async () => {
    let cursor = (await a.changesSince(tsA.ns, null)).cursor;
    let x = 7;
    const rnd = () => (x = (x * 48_271) % 2_147_483_647) / 2_147_483_647;
    for (let round = 0; round < 40; round++) {
      const points: Record<number, Record<string, number[]>> = {};
      const written: number[] = [];
      for (let k = 0; k < 1 + Math.floor(rnd() * 30); k++) {
        const t = NOW - Math.floor(rnd() * (rnd() < 0.2 ? 9 * 3600 : 600));
        ((points[t] ??= {})[`n${Math.floor(rnd() * 50)}`] ??= []).push(1);
        written.push(t);
      }
      await (round % 2 ? tsA : tsB).bulk_insert(points);
      const got = await a.changesSince(tsA.ns, cursor);
      cursor = got.cursor;
      for (const t of written) {
        if (t >= NOW - 600 * 60) expect(covers(got.changes!, "minute", t - (t % 60))).toBe(true);
        expect(covers(got.changes!, "hour", t - (t % 3600))).toBe(true);
      }
    }
  });

  it("delete and delete_all report everything; expire reports what it dropped", async () => {
    let cursor = (await a.changesSince(tsA.ns, null)).cursor;
    await tsB.delete("x");
    let got = await a.changesSince(tsA.ns, cursor);
    expect(got.changes).toBeNull();
    cursor = got.cursor;
    await tsB.expire();
    got = await a.changesSince(tsA.ns, cursor);
    // minute keeps 600 buckets: everything before the first live one may be gone.
    const edge = NOW - 599 * 60;
    expect(got.changes).toEqual([{ interval: "minute", first: Number.MIN_SAFE_INTEGER, last: edge - 1 }]);
    cursor = got.cursor;
    await tsB.delete_all();
    expect((await a.changesSince(tsA.ns, cursor)).changes).toBeNull();
  });

  it("a cursor older than the rows kept is told everything changed; the journal stays bounded", async () => {
    const old = (await a.changesSince(tsA.ns, null)).cursor;
    for (let i = 0; i < JOURNAL_KEEP / 2 + 200; i++) await tsB.insert("x", 1, NOW - (i % 5) * 60);
    expect((await a.changesSince(tsA.ns, old)).changes).toBeNull();
    const rows = a.handle.prepare(`SELECT COUNT(*) FROM "jchanges"`).pluck().get() as number;
    expect(rows).toBeLessThanOrEqual(JOURNAL_KEEP + 256 * 2);
  });

  it("each prefix's journal stays bounded when one connection writes several in turn", async () => {
    const one = new Timeseries(a, { type: "count", prefix: "jp1", intervals: { minute: { step: 60 } }, clock: () => NOW });
    const two = new Timeseries(a, { type: "count", prefix: "jp2", intervals: { minute: { step: 60 } }, clock: () => NOW });
    for (let i = 0; i < JOURNAL_KEEP + 600; i++) {
      await one.insert("x", 1, NOW - (i % 7) * 60);
      await two.insert("x", 1, NOW - (i % 7) * 60);
    }
    for (const table of ["jp1changes", "jp2changes"]) {
      const rows = a.handle.prepare(`SELECT COUNT(*) FROM "${table}"`).pluck().get() as number;
      expect(rows, table).toBeLessThanOrEqual(JOURNAL_KEEP + 256);
    }
  });

  it("a write that fails leaves no journal row behind", async () => {
    const cursor = (await a.changesSince(tsA.ns, null)).cursor;
    const bad = new Timeseries(a, { type: "histogram", prefix: "j", intervals: INTERVALS, clock: () => NOW });
    // A trigger makes the data upsert fail inside the transaction that also writes the journal.
    a.handle.exec(`CREATE TEMP TRIGGER fail_hist BEFORE INSERT ON main."jhistogram" BEGIN SELECT RAISE(ABORT, 'refused'); END;`);
    try {
      await expect(bad.insert("x", 1, NOW)).rejects.toThrow(/refused/);
    } finally {
      a.handle.exec("DROP TRIGGER fail_hist");
    }
    expect((await a.changesSince(tsA.ns, cursor)).cursor).toBe(cursor);
  });
});

describe("TouchedBuckets: the ranges one batch records per interval", () => {
  const touched = (names: number[][]) => {
    const t = new TouchedBuckets(60);
    for (const buckets of names) t.add(Math.min(...buckets), Math.max(...buckets), () => buckets);
    return t.ranges();
  };

  it("a backfill of a day per name is one range; a late point beside new ones two; scattered points one covering range", () => {
    const day = Array.from({ length: 1440 }, (_, i) => NOW + i * 60);
    expect(touched([day, day, day])).toEqual([[NOW, NOW + 1439 * 60]]);
    expect(touched([[NOW - 5 * 3600, NOW], [NOW]])).toEqual([[NOW - 5 * 3600, NOW - 5 * 3600], [NOW, NOW]]);
    const scattered = Array.from({ length: 40 }, (_, i) => NOW + i * 7200);
    expect(touched([scattered])).toEqual([[NOW, NOW + 39 * 7200]]);
  });

  it("property: every bucket added is inside a range, and ranges are sorted and apart", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: -3000, max: 3000 }), { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 30 }), (names) => {
        const buckets = names.map((ns) => ns.map((k) => NOW + k * 60));
        const ranges = touched(buckets);
        for (const b of buckets.flat()) expect(ranges.some(([f, l]) => f <= b && b <= l)).toBe(true);
        for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThan(ranges[i - 1][1] + 60);
      }),
    );
  });
});
