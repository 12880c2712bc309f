import { describe, expect, it } from "vitest";
import { ErrorCodes } from "./errors.js";
import { compileTransform } from "./transforms.js";
import { typeDef } from "./types/index.js";

// Expectations are computed from the raw values, the way SPEC §3's table defines each function.
const values = [3, 1, 4, 1, 5];
const sum = values.reduce((a, b) => a + b, 0);
const hist = new Map<number, number>();
for (const v of values) hist.set(v, (hist.get(v) ?? 0) + 1);
const duration = 60;

describe("built-in transforms follow SPEC §3", () => {
  const table: Array<[string, unknown, Record<string, unknown>]> = [
    ["count", sum, { mean: sum, avg: sum, count: sum, min: sum, max: sum, sum, rate: sum / duration }],
    ["histogram", hist, {
      mean: sum / values.length,
      count: values.length,
      min: Math.min(...values),
      max: Math.max(...values),
      sum,
      rate: new Map([...hist].map(([k, n]) => [k, n / duration])),
    }],
    ["series", values, { mean: sum / values.length, count: values.length, min: 1, max: 5, sum, rate: values.length / duration }],
    ["set", new Set(values), {
      mean: [...new Set(values)].reduce((a, b) => a + b, 0) / new Set(values).size,
      count: new Set(values).size,
      min: 1,
      max: 5,
      sum: [...new Set(values)].reduce((a, b) => a + b, 0),
      rate: new Set(values).size / duration,
    }],
    ["gauge", 42, { mean: 42, count: 42, min: 42, max: 42, sum: 42, rate: 42 }],
  ];
  for (const [type, data, want] of table) {
    for (const [fn, expected] of Object.entries(want)) {
      it(`${type} ${fn}`, () => expect(compileTransform(typeDef(type), fn)(data, duration)).toEqual(expected));
    }
  }
});

describe("transform option shapes", () => {
  const t = typeDef("series");
  it("a function gets data and duration", () => expect(compileTransform(t, (d: number[], dur) => d.length * dur)(values, 2)).toBe(10));
  it("a list keys results by name (functions by their name)", () => {
    function spread(d: number[]) {
      return Math.max(...d) - Math.min(...d);
    }
    expect(compileTransform(t, ["min", "max", spread])(values, 1)).toEqual({ min: 1, max: 5, spread: 4 });
  });
  it("a map keys results by its keys", () => expect(compileTransform(t, { lo: "min", n: (d: number[]) => d.length })(values, 1)).toEqual({ lo: 1, n: 5 }));
  it.each([["median"], [""], [42], [null]])("rejects %j naming it", (bad) => {
    expect(() => compileTransform(t, bad as never)).toThrow(expect.objectContaining({ code: ErrorCodes.UNKNOWN_TRANSFORM }));
  });
  it("rejects an unknown name inside a list", () => expect(() => compileTransform(t, ["min", "p99"])).toThrow(/p99/));
});

describe("typeDef", () => {
  it.each([["counter"], [""], [null], ["COUNT"]])("rejects type %j naming the field", (bad) => {
    expect(() => typeDef(bad, 'schema "x": type')).toThrow(expect.objectContaining({ code: ErrorCodes.BAD_TYPE, field: 'schema "x": type', value: bad }));
  });
});
