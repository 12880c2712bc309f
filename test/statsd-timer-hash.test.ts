import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { timer_hash } from "../examples/statsd.js";
import { long_or_float } from "../src/timeseries/index.js";

/** The seed's form, through a string: what timer_hash must equal exactly. */
function reference(value: unknown): number {
  const v = long_or_float(value);
  if (v === 0) return 0;
  const magnitude = Math.floor(Math.log10(Math.abs(v)));
  const scale = 10 ** (magnitude - 1);
  return Number((Math.round(v / scale) * scale).toPrecision(2));
}

describe("timer_hash", () => {
  it.each([
    ["0", 0],
    ["12.34", 12],
    ["99.7", 100],
    ["0.01234", 0.012],
    ["-4567", -4600],
    ["1e300", 1e300],
    ["1.25", 1.3],
  ])("%s → %s", (input, expected) => {
    expect(timer_hash(input)).toBe(expected);
    expect(timer_hash(input)).toBe(reference(input));
  });

  it("refuses what long_or_float refuses", () => {
    expect(() => timer_hash("abc")).toThrow(/not a number/);
  });

  it("equals the string form on any finite double", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(Object.is(timer_hash(v), reference(v))).toBe(true);
      }),
      { numRuns: 200_000 },
    );
  });

  it("equals the string form on timer-like decimals", () => {
    fc.assert(
      fc.property(fc.integer({ min: -10_000_000, max: 10_000_000 }), fc.integer({ min: 0, max: 8 }), (n, places) => {
        const text = (n / 10 ** places).toFixed(places);
        expect(Object.is(timer_hash(text), reference(text))).toBe(true);
      }),
      { numRuns: 100_000 },
    );
  });
});
