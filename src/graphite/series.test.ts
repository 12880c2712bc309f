/** The series model helpers: Python number formatting (table from Python itself), normalize, tags. */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { commonTags, createSeries, formatD, formatF, formatG, round6, joinPathExpressions, lcm, normalize, parseTags, pyArg, pyFloat } from "./series.js";

const numbers = JSON.parse(readFileSync(new URL("./functions/fixtures/python-numbers.json", import.meta.url), "utf8")) as {
  numbers: { v: number; g: string; repr: string; d: string; round6: number; f2: string; f0: string }[];
};

describe("number formatting as Python prints it", () => {
  for (const n of numbers.numbers) {
    it(`${n.repr}: %g ${n.g}, repr ${n.repr}, %d ${n.d}, round ${n.round6}`, () => {
      expect(formatG(n.v)).toBe(n.g);
      expect(pyFloat(n.v)).toBe(n.repr);
      // %d of a float beyond 2^53 prints digits a double does not carry; names never hold such ints.
      if (Math.abs(n.v) < 2 ** 53) expect(formatD(n.v)).toBe(n.d);
      expect(round6(n.v)).toBe(n.round6);
      expect(formatF(n.v, 2)).toBe(n.f2);
      expect(formatF(n.v, 0)).toBe(n.f0);
    });
  }
  it("special values", () => {
    expect(formatG(Infinity)).toBe("inf");
    expect(formatG(-Infinity)).toBe("-inf");
    expect(pyFloat(Number.NaN)).toBe("nan");
    expect(pyArg(3)).toBe("3");
    expect(pyArg(2.5)).toBe("2.5");
    expect(pyArg(null)).toBe("None");
    expect(pyArg(true)).toBe("True");
    expect(pyArg("5min")).toBe("5min");
  });
  it("pyFloat round-trips every double", () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => Number(pyFloat(v)) === v || (v === 0 && pyFloat(v).endsWith("0.0"))));
  });
  it("formatG has at most 6 significant digits and is within rounding of the value", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }), (v) => {
        const g = formatG(v);
        const digits = g.replace(/e.*$/, "").replace(/[-.]/g, "").replace(/^0+/, "");
        return digits.length <= 6 && (v === 0 || Math.abs(Number(g) - v) <= Math.abs(v) * 5e-6);
      }),
    );
  });
  it("round6 is the nearest multiple of 1e-6 (ties to even)", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), (v) => {
        const r = round6(v);
        return Math.abs(r - v) <= 5e-7 + Math.abs(v) * 1e-15;
      }),
    );
  });
});

describe("normalize (§5.3)", () => {
  it("sumSeries(a@60s,[1..10], slow@120s,[100..500]) rows are 101.5, 203.5, … (verified)", () => {
    const a = createSeries({ name: "a", start: 0, step: 60, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
    const slow = createSeries({ name: "slow", start: 0, step: 120, values: [100, 200, 300, 400, 500] });
    const n = normalize([a, slow]);
    expect(n.step).toBe(120);
    expect(Array.from(n.columns[0])).toEqual([1.5, 3.5, 5.5, 7.5, 9.5]);
    expect(Array.from(n.columns[1])).toEqual([100, 200, 300, 400, 500]);
    expect(n.columns[0][0] + n.columns[1][0]).toBe(101.5);
    expect(n.columns[0][1] + n.columns[1][1]).toBe(203.5);
  });
  it("end is trimmed to a whole number of steps from start; shorter series are padded with null", () => {
    const a = createSeries({ name: "a", start: 0, step: 60, values: [1, 2, 3] });
    const b = createSeries({ name: "b", start: 0, step: 90, values: [1, null, 3] });
    const n = normalize([a, b]);
    expect(n.step).toBe(180);
    expect(n.end).toBe(270 - (270 % 180));
    expect(n.length).toBe(2);
    expect(Array.from(n.columns[0], (v) => (v !== v ? null : v))).toEqual([2, null]);
    expect(Array.from(n.columns[1], (v) => (v !== v ? null : v))).toEqual([1, 3]);
  });
  it("lcm", () => {
    expect(lcm(60, 90)).toBe(180);
    expect(lcm(60, 60)).toBe(60);
    expect(lcm(10, 3600)).toBe(3600);
  });
  it("empty input", () => {
    expect(normalize([]).columns).toEqual([]);
  });
});

describe("names and tags (§5.1)", () => {
  it("aggregates name unique pathExpressions in order", () => {
    const s = (name: string, p: string) => createSeries({ name, pathExpression: p, start: 0, step: 1, values: [] });
    expect(joinPathExpressions([s("a.x", "a.*"), s("a.y", "a.*"), s("b", "b")])).toBe("a.*,b");
  });
  it("tags of a plain and a tagged name", () => {
    expect(parseTags("a.b.c")).toEqual({ name: "a.b.c" });
    expect(parseTags("disk.used;dc=east;host=h1")).toEqual({ name: "disk.used", dc: "east", host: "h1" });
  });
  it("common tags keep only the pairs all series share", () => {
    const s = (name: string) => createSeries({ name, start: 0, step: 1, values: [] });
    expect(commonTags([s("d;dc=east;h=1"), s("d;dc=east;h=2")])).toEqual({ name: "d", dc: "east" });
  });
});

describe("datapoints", () => {
  it("pairs values with start + k·step up to end inclusive; the shorter decides; NaN is null", async () => {
    const { datapoints } = await import("./series.js");
    expect(datapoints(createSeries({ name: "x", start: 10, end: 30, step: 10, values: [1, null, 3, 4] }))).toEqual([
      [1, 10],
      [null, 20],
      [3, 30],
    ]);
    expect(datapoints(createSeries({ name: "x", start: 10, end: 100, step: 10, values: [1] }))).toEqual([[1, 10]]);
  });
  it("a consolidated series pairs with the consolidation's timestamps", async () => {
    const { datapoints } = await import("./series.js");
    const { consolidateForMaxDataPoints } = await import("./consolidate.js");
    const s = { ...createSeries({ name: "t", start: 1, end: 21, step: 1, values: Array.from({ length: 20 }, (_v, i) => i + 1) }), consolidationFunc: "sum" as const };
    for (const mdp of [1, 3, 9, 19, 25]) {
      const [c] = consolidateForMaxDataPoints([s], mdp);
      expect(datapoints(c.series).map(([, t]) => t)).toEqual(c.timestamps);
    }
  });
});
