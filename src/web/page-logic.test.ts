/** The page's pure parts, in Node: range ends, seriesByTag quoting, heatmap ticks and cells. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cellPercentile, niceTicks, toColumns } from "./heatmap.js";
import { seriesByTagTarget } from "./tag-picker.js";
import { resolveTime } from "./time-range.js";

const NOW = 1_800_000_000;

describe("resolveTime", () => {
  it.each([
    ["now", NOW],
    ["", NOW],
    ["1700000000", 1_700_000_000],
    ["-6h", NOW - 6 * 3600],
    ["-30min", NOW - 1800],
    ["-1d", NOW - 86_400],
    ["-7d", NOW - 7 * 86_400],
    ["-2w", NOW - 14 * 86_400],
    ["-1mon", NOW - 30 * 86_400],
    ["-1y", NOW - 365 * 86_400],
    ["now-1h", NOW - 3600],
    ["+10s", NOW + 10],
  ])("%j is %d", (text, sec) => expect(resolveTime(text, NOW)).toBe(sec));

  it.each(["yesterday", "-6", "-6x", "12:00_20260101", "-h"])("%j is not a form the inputs can show (null)", (text) => expect(resolveTime(text, NOW)).toBeNull());
});

describe("seriesByTagTarget", () => {
  it.each([
    [["dc=east"], "seriesByTag('dc=east')"],
    [["name=cpu.load", "host!=db1"], "seriesByTag('name=cpu.load','host!=db1')"],
    [["who=o'neil"], `seriesByTag("who=o'neil")`],
  ])("%j → %s", (exprs, target) => expect(seriesByTagTarget(exprs)).toBe(target));

  it("is null when an expression holds both quotes", () => expect(seriesByTagTarget([`a=it's "x"`])).toBeNull());
});

describe("niceTicks", () => {
  it.each([
    [1, 29, 5, [5, 10, 15, 20, 25]],
    [0, 1, 4, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [3, 3, 5, [3]],
  ])("from %d to %d, about %d: %j", (lo, hi, n, ticks) => expect(niceTicks(lo, hi, n)).toEqual(ticks));

  it("stays within the range for any range", () =>
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.double({ min: 1e-3, max: 1e9, noNaN: true }), fc.integer({ min: 2, max: 12 }), (lo, span, n) => {
        const t = niceTicks(lo, lo + span, n);
        expect(t.length).toBeGreaterThanOrEqual(1);
        expect(t.length).toBeLessThanOrEqual(2 * n + 2);
        // Within the range, give or take what a double can tell apart at this magnitude.
        const eps = span * 1e-9 + (Math.abs(lo) + span) * 1e-14;
        for (const v of t) {
          expect(v).toBeGreaterThanOrEqual(lo - eps);
          expect(v).toBeLessThanOrEqual(lo + span + eps);
        }
      }),
    ));
});

describe("toColumns and cellPercentile", () => {
  it("reads the three shapes /series gives and ranks by nearest rank", () => {
    const a = toColumns({ 60: { 1: 2, 5: 1 } });
    const b = toColumns([[{ 1: 2, 5: 1 }, 60]]);
    const c = toColumns({ 60: { 0: { 1: 1 }, 30: { 1: 1, 5: 1 } } });
    for (const cols of [a, b, c]) {
      expect(cols.map((x) => x.t)).toEqual([60]);
      expect([...cols[0].cells].sort()).toEqual([[1, 2], [5, 1]]);
      expect([50, 66, 67, 99].map((p) => cellPercentile(cols[0].cells, p))).toEqual([1, 1, 5, 5]);
    }
    expect(cellPercentile(new Map(), 50)).toBeNull();
  });
});
