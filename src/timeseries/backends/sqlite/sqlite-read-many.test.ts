import { describe, expect, it } from "vitest";
import { TYPE_NAMES } from "../../store.js";
import { Timeseries } from "../../timeseries.js";
import { SqliteStore } from "./sqlite-store.js";
import { BLOCK_BUCKETS } from "./sqlite-schema.js";

// A read of several names over at most two blocks is one statement; it must give what one read per name gives.
describe("SQLite: a read of many names over few buckets, and the column read", () => {
  for (const type of TYPE_NAMES) {
    it(`${type}: the same rows as one read per name, across a block boundary, names repeated or never stored`, async () => {
      const store = new SqliteStore("sqlite:///:memory:");
      try {
        const ts = new Timeseries(store, { type, prefix: "rm", intervals: { minute: { step: 60 }, hour: { step: "1h", resolution: 600 } } });
        const edge = 1_800_000_000 - (1_800_000_000 % (60 * BLOCK_BUCKETS)); // a block boundary of the minute interval
        let v = 0;
        for (let k = -5; k < 5; k++) {
          for (const name of ["a", "b", "c"]) {
            // Several values per bucket, out of order in time: series keep arrival order, gauges the newest.
            await ts.bulk_insert({ [edge + k * 60 + 30]: { [name]: [v++ % 7, (v++ % 5) + 0.5] }, [edge + k * 60 + 10]: { [name]: [v++ % 3] } });
          }
        }
        const names = ["b", "never", "a", "c", "b"];
        const ranges = [["minute", edge - 5 * 60, edge + 4 * 60], ["minute", edge, edge], ["hour", edge - 7200, edge + 3600], ["minute", edge - 3 * 3600, edge + 3 * 3600]] as const;
        for (const [interval, first, last] of ranges) {
          const many = await store.read(ts.ns, names, interval, first, last);
          const one = await Promise.all(names.map(async (n) => (await store.read(ts.ns, [n], interval, first, last))[0]));
          expect(many).toEqual(one);
          expect(many[0].length).toBeGreaterThan(0);
          // Repeated names get arrays of their own.
          expect(many[4]).not.toBe(many[0]);
          // The column read gives the same rows, column by column.
          const cols = await store.readColumns(ts.ns, names, interval, first, last);
          expect(cols.map((c) => ({ subs: Array.from(c.subs), a: Array.from(c.a), b: c.b ? Array.from(c.b) : undefined }))).toEqual(
            one.map((rows) => ({ subs: rows.map((r) => r[1]), a: rows.map((r) => r[2]), b: rows.length > 0 && rows[0].length === 4 ? rows.map((r) => r[3]) : undefined })),
          );
          expect(cols[4].subs).not.toBe(cols[0].subs);
        }
      } finally {
        await store.close();
      }
    });
  }
});
