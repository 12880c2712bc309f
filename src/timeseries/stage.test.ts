import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { namedCells } from "./testing/batch-view.js";
import { Timeseries } from "./timeseries.js";
import { WriteBatch } from "./write-batch.js";
import type { Store } from "./store.js";

const store = { url: "none://" } as unknown as Store;
const cellsOf = (batch: WriteBatch, name: string) => [...(namedCells(batch, name)?.[0] ?? new Map())];

describe("Timeseries.prepare / stagePrepared", () => {
  const ts = new Timeseries(store, { type: "count", intervals: { minute: { step: 60, steps: 2 } } });
  const T = 1_800_000_000 - (1_800_000_000 % 60);

  it("stages what stage stages, under every name it is given", () => {
    const a = new WriteBatch();
    const b = new WriteBatch();
    ts.stage(a, "x", "3", T, 0, T);
    ts.stage(a, "y", "3", T, 0, T);
    const p = ts.prepare("3", T, 0, T);
    ts.stagePrepared(b, "x", p);
    ts.stagePrepared(b, "y", p);
    expect(cellsOf(b, "x")).toEqual(cellsOf(a, "x"));
    expect(cellsOf(b, "y")).toEqual([[T, 3]]);
    expect([b.size, b.points]).toEqual([a.size, a.points]);
  });

  it("judges retention again when only now moves, and rolling again when only it changes", () => {
    const batch = new WriteBatch();
    ts.stagePrepared(batch, "r", ts.prepare(1, T, 0, T));
    // Three minutes later the same timestamp is past the two kept buckets.
    ts.stagePrepared(batch, "r", ts.prepare(1, T, 0, T + 180));
    expect(cellsOf(batch, "r")).toEqual([[T, 1]]);
    ts.stagePrepared(batch, "r", ts.prepare(1, T, 1, T));
    expect(cellsOf(batch, "r")).toEqual([
      [T, 2],
      [T + 60, 1],
    ]);
  });

  it("refuses a bad value before anything is staged, and the next point is prepared afresh", () => {
    const batch = new WriteBatch();
    expect(() => ts.prepare("abc", T, 0, T)).toThrow(/not a number/);
    ts.stagePrepared(batch, "z", ts.prepare("2", T, 0, T));
    expect(cellsOf(batch, "z")).toEqual([[T, 2]]);
  });
});

describe("Timeseries.prepare: sub-buckets of interleaved timestamps", () => {
  // Gregorian steps and a resolution, retention edges, rolling: what prepare keeps per timestamp must be what it would work out afresh.
  const options = {
    type: "count" as const,
    intervals: { minute: { step: 60, steps: 3 }, daily: { step: "daily", resolution: "1h", steps: 2 }, monthly: { step: "monthly", resolution: "daily" } },
  };
  it("gives the sub-buckets a fresh timeseries gives, whatever the order of timestamps, rolling and now", () => {
    const T = 1_800_000_000;
    const point = fc.record({
      // Few distinct values, so ways are hit, shared and evicted.
      t: fc.integer({ min: 0, max: 40 }).map((k) => T - k * 1_777),
      rolling: fc.constantFrom(0, 0, 1, -2),
      now: fc.constantFrom(T, T + 120, T + 90_000),
    });
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 200 }), (points) => {
        const kept = new Timeseries(store, options);
        for (const p of points) {
          const fresh = new Timeseries(store, options).prepare(1, p.t, p.rolling, p.now);
          const got = kept.prepare(1, p.t, p.rolling, p.now);
          expect([got.t, got.rolling, got.now]).toEqual([p.t, p.rolling, p.now]);
          expect(got.subs).toEqual(fresh.subs);
        }
      }),
      { numRuns: 100 },
    );
  });
});
