import { describe, expect, it } from "vitest";
import { compareBodies, dropKeys, sameNumber, splitTags } from "./compare.js";

describe("holding an answer to graphite-web's", () => {
  it("numbers match within a relative 1e-9, not beyond", () => {
    expect(sameNumber(15.45, 15.450000000000001)).toBe(true);
    expect(sameNumber(1e12, 1e12 + 1)).toBe(true);
    expect(sameNumber(15.45, 15.4500001)).toBe(false);
    expect(sameNumber(0, 1e-8)).toBe(false);
  });

  it("finds a value, a timestamp, a name, an order or a length that differs", () => {
    const series = [{ target: "a", datapoints: [[1.5, 60], [null, 120]] }];
    expect(compareBodies(series, [{ target: "a", datapoints: [[1.5, 60], [null, 120]] }])).toEqual([]);
    expect(compareBodies(series, [{ target: "a", datapoints: [[1.6, 60], [null, 120]] }])).toHaveLength(1);
    expect(compareBodies(series, [{ target: "a", datapoints: [[1.5, 61], [null, 120]] }])).toHaveLength(1);
    expect(compareBodies(series, [{ target: "a", datapoints: [[1.5, 60], [0, 120]] }])).toHaveLength(1);
    expect(compareBodies(series, [{ target: "b", datapoints: [[1.5, 60], [null, 120]] }])).toHaveLength(1);
    expect(compareBodies(series, [{ target: "a", datapoints: [[1.5, 60]] }])[0].path).toBe("$[0].datapoints.length");
    expect(compareBodies(["x", "y"], ["y", "x"])).toHaveLength(2);
  });

  it("text bodies compare token by token, numbers as numbers", () => {
    expect(compareBodies("a,2026-11-26 23:51:00,2.0\n", "a,2026-11-26 23:51:00,2\n")).toEqual([]);
    expect(compareBodies("a,0,60,60|2.0,None\n", "a,0,60,60|2.0,1.0\n")).toHaveLength(1);
    expect(compareBodies('cb([{"v": 2.0}])', 'cb([{"v":2}])')).toEqual([]);
    expect(compareBodies('cb([{"v": 2.0}])', 'cb([{"v":3}])')).toHaveLength(1);
  });

  it("tags are split off render series, and dropped keys removed at any depth", () => {
    expect(splitTags([{ target: "a", tags: { name: "a" }, datapoints: [] }])).toEqual({ body: [{ target: "a", datapoints: [] }], tags: [{ name: "a" }] });
    expect(splitTags({ results: [] })).toEqual({ body: { results: [] }, tags: null });
    expect(dropKeys([{ path: "a", intervals: [1] }], ["intervals"])).toEqual([{ path: "a" }]);
  });
});
