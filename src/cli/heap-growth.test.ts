import { describe, expect, it } from "vitest";
import { DEFAULT_HEAP_GROWTH_PERCENT, limitHeapGrowth } from "./heap-growth.js";

describe("limitHeapGrowth", () => {
  it("applies the default, or the percent TORUS_HEAP_GROWTH gives", () => {
    expect(limitHeapGrowth({})).toBe(DEFAULT_HEAP_GROWTH_PERCENT);
    expect(limitHeapGrowth({ TORUS_HEAP_GROWTH: "" })).toBe(DEFAULT_HEAP_GROWTH_PERCENT);
    expect(limitHeapGrowth({ TORUS_HEAP_GROWTH: "0" })).toBe(0);
    expect(limitHeapGrowth({ TORUS_HEAP_GROWTH: "120" })).toBe(120);
  });

  it.each(["-1", "1.5", "abc", "1001"])("rejects %j with the accepted range", (raw) => {
    expect(() => limitHeapGrowth({ TORUS_HEAP_GROWTH: raw })).toThrow(`TORUS_HEAP_GROWTH: expected a whole number of percent from 0 (V8's default) to 1000, got ${JSON.stringify(raw)}`);
  });
});
