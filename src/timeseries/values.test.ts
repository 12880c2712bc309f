import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCodes } from "./errors.js";
import { long_or_float, readLongOrFloat, toWritten } from "./values.js";

describe("long_or_float", () => {
  it.each([
    ["42", 42],
    [" -7 ", -7],
    ["+3", 3],
    ["3.25", 3.25],
    ["1e3", 1000],
    ["-0.5", -0.5],
    [12, 12],
    [1.5, 1.5],
  ])("%j → %j", (input, want) => {
    expect(long_or_float(input)).toBe(want);
  });

  it("converts a bigint", () => expect(long_or_float(10n)).toBe(10));

  it.each([["abc"], [""], ["  "], ["NaN"], ["Infinity"], ["1,5"], [Number.NaN], [Number.POSITIVE_INFINITY], [null], [undefined], [{}], [[1]]])(
    "rejects %j with a BAD_VALUE error",
    (bad) => {
      expect(() => long_or_float(bad)).toThrow(expect.objectContaining({ code: ErrorCodes.BAD_VALUE, field: "value" }));
    },
  );

  it("property: any finite number printed as JavaScript prints it reads back as itself", () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => long_or_float(String(x)) === x));
  });
});

describe("readLongOrFloat", () => {
  it.each([
    ["5", 5],
    ["2.5", 2.5],
    ["web01", "web01"],
    ["", ""],
    [7, 7],
  ])("%j → %j", (input, want) => expect(readLongOrFloat(input)).toBe(want));
});

describe("toWritten", () => {
  it("passes numbers and text, converts booleans and bigints to text", () => {
    expect(toWritten((v) => v, 3)).toBe(3);
    expect(toWritten((v) => `${v}!`, 3)).toBe("3!");
    expect(toWritten(() => true, 1)).toBe("true");
    expect(toWritten(() => 5n, 1)).toBe("5");
  });

  it.each([
    ["a throwing write_func", () => {
      throw new Error("nope");
    }, /write_func rejected value 1: nope/],
    ["NaN", () => Number.NaN, /cannot be stored/],
    ["an object", () => ({}), /cannot be stored/],
    ["undefined", () => undefined, /cannot be stored/],
  ])("rejects %s naming the value", (_label, fn, message) => {
    expect(() => toWritten(fn, 1)).toThrow(expect.objectContaining({ code: ErrorCodes.BAD_VALUE, value: 1 }));
    expect(() => toWritten(fn, 1)).toThrow(message);
  });
});
