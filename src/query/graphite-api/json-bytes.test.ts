import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonBytes } from "./json-bytes.js";
import { pyRepr } from "./render-format.js";

const written = (f: (b: JsonBytes) => void) => {
  const b = new JsonBytes(1);
  f(b);
  return b.bytes().toString("latin1");
};

describe("JsonBytes", () => {
  it("writes floats as pyRepr does: short decimals, whole numbers, and the rest", () => {
    for (const v of [0.25, -0.25, 1, -1, 12.5, 0.1, 0.0001, 1e-5, 123456.789012, 999999999.5, 1e9, 1e15, 2 ** 53, 1e16, 1e21, 5e-324, Number.MAX_VALUE, 0.30000000000000004, 1 / 3, 97.25, 9.75])
      expect(written((b) => b.float(v))).toBe(pyRepr(v));
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => written((b) => b.float(v)) === pyRepr(v)), { numRuns: 20_000 });
    fc.assert(fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 6 }), (m, k) => {
      const v = m / 10 ** k;
      return written((b) => b.float(v)) === pyRepr(v);
    }), { numRuns: 20_000 });
  });

  it("writes integers as String() does and grows past its first size", () => {
    fc.assert(fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => written((b) => b.int(n)) === String(n)));
    const long = "x".repeat(10_000);
    expect(written((b) => { b.text(long); b.int(42); })).toBe(`${long}42`);
  });
});
