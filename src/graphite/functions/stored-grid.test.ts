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
          // One comparison per run, not four expect calls per point: 500 runs of up to 400 points stay quick on a busy machine.
          const got: string[] = [];
          const want: string[] = [];
          for (let k = 0; k < g.count; k++) {
            const [a, b] = [lo.series.values[k]!, hi.series.values[k]!];
            const before = a > 0 ? outputIndex(g, a - 1) !== k : true;
            const after = b + 1 < length ? outputIndex(g, b + 1) !== k : true;
            got.push(`${k}: first ${outputIndex(g, a)}, last ${outputIndex(g, b)}, outside before ${before}, after ${after}`);
            want.push(`${k}: first ${k}, last ${k}, outside before true, after true`);
          }
          expect(got).toEqual(want);
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
