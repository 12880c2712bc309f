import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Timeseries } from "../../timeseries.js";
import { WriteBatch } from "../../write-batch.js";
import type { Store } from "../../store.js";
import { CellOrder } from "./sqlite-write-rows.js";

/**
 * The cell layout a SQLite write emits rows in: every cell of an interval
 * exactly once, in primary-key order (block, name rank, sub-bucket),
 * whatever order the points arrived in and however many blocks they span.
 */

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0) / 1000;
const INTERVALS = { minute: { step: 60 }, hour: { step: "1h", resolution: 600 } };
const BLOCK_BUCKETS = 32;
const noStore = {} as Store;

describe("CellOrder", () => {
  it("lays out every cell once, in (block, name, sub-bucket) order", () => {
    const point = fc.record({ name: fc.integer({ min: 0, max: 30 }), t: fc.integer({ min: 0, max: 40 * 86_400 }) });
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 400 }), fc.integer({ min: 0, max: 1_000 }), (points, seed) => {
        const ts = new Timeseries(noStore, { type: "count", intervals: INTERVALS, clock: () => NOW });
        const batch = new WriteBatch();
        for (const p of points) ts.stage(batch, `n${p.name}`, 1, NOW - p.t, 0, NOW);
        const part = [...batch.parts.values()][0];
        // Any name order stands for the store's name ids: a permutation of the slots.
        const bySlot = Int32Array.from(part.names.map((_, s) => s)).sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101) || a - b);
        const order = new CellOrder();
        for (let iv = 0; iv < ts.intervals.length; iv++) {
          const interval = ts.intervals[iv];
          const blockSeconds = interval.step.seconds * BLOCK_BUCKETS;
          const n = order.build(part, iv, bySlot, (sub) => interval.bucketOf(sub), blockSeconds);
          // What the part holds for this interval, and the order a table keeps it in.
          const expected: Array<[number, number, number, number]> = [];
          for (let k = 0; k < bySlot.length; k++) {
            for (let c = part.head(bySlot[k], iv); c !== -1; c = part.cellNext[c]) {
              const bucket = interval.bucketOf(part.cellSub[c]);
              expected.push([Math.floor(bucket / blockSeconds), k, part.cellSub[c], c]);
            }
          }
          expected.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
          expect(n).toBe(expected.length);
          const got: Array<[number, number, number, number]> = [];
          for (let r = 0; r < order.blocks.length; r++) {
            for (let q = order.blockStart[r]; q < order.blockStart[r + 1]; q++) {
              const pos = order.byBlock[q];
              const c = order.byName[pos];
              expect(order.bucketAt[pos]).toBe(interval.bucketOf(part.cellSub[c]));
              expect(Math.floor(order.bucketAt[pos] / blockSeconds)).toBe(order.blocks[r]);
              got.push([order.blocks[r], order.kAt[pos], part.cellSub[c], c]);
            }
          }
          expect(got).toEqual(expected);
          // Each name's range of positions starts at its first bucket and ends at its last.
          for (let k = 0; k < bySlot.length; k++) {
            const mine = expected.filter((e) => e[1] === k);
            if (mine.length === 0) {
              expect(order.start[k + 1]).toBe(order.start[k]);
              continue;
            }
            const buckets = mine.map((e) => interval.bucketOf(e[2]));
            expect(order.bucketAt[order.start[k]]).toBe(Math.min(...buckets));
            expect(order.bucketAt[order.start[k + 1] - 1]).toBe(Math.max(...buckets));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
