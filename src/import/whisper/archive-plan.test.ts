import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCalendar } from "../../timeseries/index.js";
import { planPoints, stepDivides } from "./archive-plan.js";
import { readWhisperHeader } from "./whisper-reader.js";
import { createWhisperBuffer, writeWhisperPoint } from "./whisper-writer.js";

const T = 1_700_006_400; // a multiple of 3600

describe("planPoints", () => {
  it("takes each archive where no finer one covers it, cutting at a whole coarse step", () => {
    // 60 s × 10 (ten minutes) and 300 s × 10 (fifty minutes); last update at T.
    const buf = createWhisperBuffer([{ secondsPerPoint: 60, points: 10 }, { secondsPerPoint: 300, points: 10 }], "sum");
    const h = readWhisperHeader(buf);
    for (let t = T - 9 * 60; t <= T; t += 60) writeWhisperPoint(buf, h, 0, t, 1);
    for (let t = T - 9 * 300; t <= T; t += 300) writeWhisperPoint(buf, h, 1, t, 100);
    const five = planPoints(buf, h, T, parseCalendar(300, "test"))!;
    expect(five.archives).toEqual([0, 1]);
    // The 60 s window starts at T-540, inside the 300 s step T-600: that coarse step stays whole, so the fine archive starts at T-300.
    const want: Array<[number, number]> = [];
    for (let t = T - 9 * 300; t < T - 300; t += 300) want.push([t, 100]);
    for (let t = T - 300; t <= T; t += 60) want.push([t, 1]);
    expect(five.times.map((t, i) => [t, five.values[i]])).toEqual(want);
    // A minute interval: only the 60 s archive divides it.
    const minute = planPoints(buf, h, T, parseCalendar(60, "test"))!;
    expect(minute.archives).toEqual([0]);
    expect(minute.times).toHaveLength(10);
    // 90 s buckets: nothing divides.
    expect(planPoints(buf, h, T, parseCalendar(90, "test"))).toBeNull();
  });

  it("never gives two points for one moment, and never one outside its archive's window", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(10, 60),
        fc.integer({ min: 6, max: 30 }),
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 0, max: 5000 }),
        (step, n0, n1, shift) => {
          // What whisper-create accepts: a coarser archive keeps longer, the finer holds at least one coarse step.
          fc.pre(n1 * 6 > n0);
          const archives = [{ secondsPerPoint: step, points: n0 }, { secondsPerPoint: step * 6, points: n1 }];
          const buf = createWhisperBuffer(archives, "last");
          const h = readWhisperHeader(buf);
          const until = T + shift;
          archives.forEach((a, i) => {
            for (let k = 0; k < a.points; k++) writeWhisperPoint(buf, h, i, until - k * a.secondsPerPoint, i);
          });
          const plan = planPoints(buf, h, until, parseCalendar(step * 6, "test"))!;
          // Spans [t, t + step) of the points given: disjoint, so no moment counts twice.
          const spans = plan.times.map((t, i) => [t, t + archives[plan.values[i]].secondsPerPoint]).sort((a, b) => a[0] - b[0]);
          for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
          // Everything from the coarse window's start to the last update is covered.
          const coarseStart = until - (until % (step * 6)) - (n1 - 1) * step * 6;
          const covered = spans.reduce((s, [a, b]) => s + (b - a), 0);
          expect(covered).toBe(until - (until % step) + step - coarseStart);
        },
      ),
    );
  });

  it("lets a step divide relative buckets and Gregorian days", () => {
    expect(stepDivides(60, parseCalendar("1h", "t"))).toBe(true);
    expect(stepDivides(90, parseCalendar(60, "t"))).toBe(false);
    expect(stepDivides(3600, parseCalendar("monthly", "t"))).toBe(true);
    expect(stepDivides(7 * 3600, parseCalendar("daily", "t"))).toBe(false);
  });
});
