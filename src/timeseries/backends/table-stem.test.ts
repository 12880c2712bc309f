import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tableStem } from "./table-stem.js";

describe("tableStem", () => {
  it.each([
    ["", ""],
    ["torus_", "torus_"],
    ["timers", "timers"],
    ["a1_b2", "a1_b2"],
  ])("keeps the plain prefix %j as %j (table names written before stay readable)", (prefix, stem) => {
    expect(tableStem(prefix, 54)).toBe(stem);
  });

  it.each([
    ["stats.timers", /^stats_timers_[0-9a-f]{10}_$/],
    ["Timers", /^timers_[0-9a-f]{10}_$/],
    ['a"; DROP TABLE x; --', /^a___drop_table_x_____[0-9a-f]{10}_$/],
    ["名前", /^___[0-9a-f]{10}_$/],
    ["p".repeat(60), /^p{42}_[0-9a-f]{10}_$/],
    // A plain prefix that ends like an encoded stem is encoded too, so it cannot meet one.
    ["x_0123456789_", /^x_0123456789__[0-9a-f]{10}_$/],
  ])("encodes %j", (prefix, re) => {
    const stem = tableStem(prefix, 54);
    expect(stem).toMatch(re);
    expect(stem.length).toBeLessThanOrEqual(54);
  });

  it("tells apart prefixes that look alike once reduced, differ by case, or share a long start", () => {
    const alike = ["ns.a", "ns-a", "ns_a", "NS.A", "Ns.a", "ns a", `${"q".repeat(70)}1`, `${"q".repeat(70)}2`];
    expect(new Set(alike.map((p) => tableStem(p, 54))).size).toBe(alike.length);
  });

  it("property: distinct prefixes give distinct stems of identifier characters that fit", () => {
    const kinds = ["names", "intervals", "count", "gauge", "histogram", "set", "series"];
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[a-zA-Z0-9_.]{0,70}$/)), { minLength: 2, maxLength: 20 }), fc.integer({ min: 20, max: 60 }), (prefixes, max) => {
        const stems = prefixes.map((p) => tableStem(p, max));
        for (const s of stems) {
          expect(s).toMatch(/^[a-z0-9_]*$/);
          expect(s.length).toBeLessThanOrEqual(max);
        }
        const tables = new Set(stems.flatMap((s) => kinds.map((k) => s + k)));
        expect(tables.size).toBe(prefixes.length * kinds.length);
      }),
      { numRuns: 300 },
    );
  });
});
