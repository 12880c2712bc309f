/** The grouping of stored cells agrees with maxDataPoints consolidation, and the weighted percentile with the plain one. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { consolidateForMaxDataPoints } from "../consolidate.js";
import { createSeries } from "../series.js";
import { percentile, weightedPercentile } from "./percentile.js";
import { groupingFor, outputIndex } from "./stored-grid.js";

describe("groupingFor", () => {
  it("joins the base points consolidateForMaxDataPoints joins, at its timestamps and step", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(1, 10, 60, 300),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 1, max: 500 }),
        (start, step, length, mdp) => {
          const index = createSeries({ name: "i", start, step, values: Array.from({ length }, (_, i) => i) });
          const g = groupingFor({ start, step, length, end: index.end }, mdp);
          const [lo] = consolidateForMaxDataPoints([{ ...index, consolidationFunc: "min" }], mdp);
          const [hi] = consolidateForMaxDataPoints([{ ...index, consolidationFunc: "max" }], mdp);
          expect(g.count).toBe(lo.timestamps.length);
          expect(g.start).toBe(lo.series.start);
          expect(g.step).toBe(lo.series.step);
          for (let k = 0; k < g.count; k++) {
            expect(outputIndex(g, lo.series.values[k])).toBe(k);
            expect(outputIndex(g, hi.series.values[k])).toBe(k);
            if (lo.series.values[k] > 0) expect(outputIndex(g, lo.series.values[k] - 1)).not.toBe(k);
            if (hi.series.values[k] + 1 < length) expect(outputIndex(g, hi.series.values[k] + 1)).not.toBe(k);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("weightedPercentile", () => {
  it("equals percentile of the samples written out", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -20, max: 20 }), fc.integer({ min: 1, max: 5 })), { maxLength: 30 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (pairs, n) => {
          const counts = new Map<number, number>();
          const samples: number[] = [];
          for (const [v, c] of pairs) {
            counts.set(v, (counts.get(v) ?? 0) + c);
            for (let i = 0; i < c; i++) samples.push(v);
          }
          expect(Object.is(weightedPercentile(counts, n), percentile(samples, n))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
