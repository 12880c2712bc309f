import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../errors.js";
import { DEFAULT_NAME_CACHE_MB, NameCache, entryBytes, nameCacheBytes } from "./name-cache.js";

describe("NameCache", () => {
  it("keeps ids per scope", () => {
    const c = new NameCache(1 << 20);
    c.set("a", "x", 1);
    c.set("b", "x", 2);
    expect([c.get("a", "x"), c.get("b", "x"), c.get("c", "x"), c.get("a", "y")]).toEqual([1, 2, undefined, undefined]);
    expect(c.size).toBe(2);
    expect(c.bytes).toBe(2 * entryBytes("x"));
  });

  it("drops the least recently used names first, and keeps the ones in use", () => {
    const per = entryBytes("n000");
    // Room for 20 names: a generation holds 10.
    const c = new NameCache(20 * per);
    for (let i = 0; i < 10; i++) c.set("p", `n${String(i).padStart(3, "0")}`, i);
    // n000 is used again: it moves to the young generation with the next names.
    for (let i = 10; i < 25; i++) {
      expect(c.get("p", "n000")).toBe(0);
      c.set("p", `n${String(i).padStart(3, "0")}`, i);
    }
    expect(c.get("p", "n000")).toBe(0);
    // n001..n009 were used only once, 15 names ago: gone.
    for (let i = 1; i < 10; i++) expect(c.get("p", `n00${i}`)).toBeUndefined();
    // The most recent ones are all there.
    for (let i = 15; i < 25; i++) expect(c.get("p", `n0${i}`)).toBe(i);
    expect(c.bytes).toBeLessThanOrEqual(20 * per);
  });

  it("never holds more than its budget, and what it answers is what was set", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4000 }),
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.string({ maxLength: 40 }), fc.boolean()), { maxLength: 300 }),
        (budget, ops) => {
          const c = new NameCache(budget);
          const truth = new Map<string, number>();
          let id = 0;
          for (const [scope, name, write] of ops) {
            const key = `${scope}\0${name}`;
            if (write && !truth.has(key)) {
              truth.set(key, id);
              c.set(scope, name, id++);
            } else {
              const got = c.get(scope, name);
              if (got !== undefined) expect(got).toBe(truth.get(key));
            }
            expect(c.bytes).toBeLessThanOrEqual(budget);
            expect(c.bytes).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a name larger than half the budget is not kept; a budget of 0 keeps nothing", () => {
    const c = new NameCache(200);
    c.set("p", "x".repeat(200), 1);
    expect(c.get("p", "x".repeat(200))).toBeUndefined();
    const none = new NameCache(0);
    none.set("p", "a", 1);
    expect([none.get("p", "a"), none.bytes]).toEqual([undefined, 0]);
  });

  it("forget drops one scope and its bytes", () => {
    const c = new NameCache(1 << 20);
    c.set("a", "x", 1);
    c.set("b", "y", 2);
    c.forget("a");
    expect([c.get("a", "x"), c.get("b", "y"), c.bytes]).toEqual([undefined, 2, entryBytes("y")]);
  });

  it("estimates two bytes a character for names beyond Latin-1", () => {
    expect(entryBytes("é".repeat(10))).toBe(10 + 128);
    expect(entryBytes("名".repeat(10))).toBe(20 + 128);
  });
});

describe("client_config.name_cache_mb", () => {
  it.each([
    [{}, DEFAULT_NAME_CACHE_MB * 1024 * 1024],
    [{ name_cache_mb: 0 }, 0],
    [{ name_cache_mb: 0.5 }, 512 * 1024],
  ])("%j → %d bytes", (config, bytes) => {
    expect(nameCacheBytes(config)).toBe(bytes);
  });

  it.each([[-1], ["64"], [Number.NaN], [Infinity]])("%j is refused, naming the setting", (v) => {
    expect(() => nameCacheBytes({ name_cache_mb: v })).toThrow(expect.objectContaining({ code: ErrorCodes.BAD_OPTION, message: expect.stringMatching(/^client_config\.name_cache_mb: expected a number of MiB/) }));
  });
});
