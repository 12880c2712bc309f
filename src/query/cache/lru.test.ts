import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Lru } from "./lru.js";

describe("Lru", () => {
  it("evicts the least recently used entry past the entry bound; a get refreshes", () => {
    const lru = new Lru<string, number>(3, Infinity);
    lru.set("a", 1, 1);
    lru.set("b", 2, 1);
    lru.set("c", 3, 1);
    expect(lru.get("a")).toBe(1);
    lru.set("d", 4, 1);
    expect(lru.keys()).toEqual(["c", "a", "d"]);
    expect(lru.get("b")).toBeUndefined();
    expect(lru.size).toBe(3);
  });

  it("evicts past the size bound, counts replaced entries once, and refuses one larger than the budget", () => {
    const lru = new Lru<string, string>(100, 10);
    lru.set("a", "x", 4);
    lru.set("b", "y", 4);
    lru.set("a", "z", 5);
    expect(lru.bytes).toBe(9);
    expect(lru.keys()).toEqual(["b", "a"]);
    lru.set("c", "w", 3);
    expect(lru.keys()).toEqual(["a", "c"]);
    expect(lru.bytes).toBe(8);
    lru.set("huge", "h", 11);
    expect(lru.get("huge")).toBeUndefined();
    expect(lru.keys()).toEqual(["a", "c"]);
    expect(lru.delete("a")).toBe(true);
    expect(lru.bytes).toBe(3);
    lru.clear();
    expect([lru.size, lru.bytes]).toEqual([0, 0]);
  });

  it("holds nothing with a zero entry bound", () => {
    const lru = new Lru<string, number>(0, 100);
    lru.set("a", 1, 1);
    expect(lru.size).toBe(0);
  });

  it("property: agrees with a plain model of recency under any sequence of operations", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), key: fc.integer({ min: 0, max: 7 }), size: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constant("get" as const), key: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 7 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 60 }), (maxEntries, maxSize, ops) => {
        const lru = new Lru<number, number>(maxEntries, maxSize);
        // The model: [key, value, size] oldest first.
        let model: Array<[number, number, number]> = [];
        ops.forEach((o, i) => {
          if (o.kind === "set") {
            lru.set(o.key, i, o.size);
            model = model.filter((e) => e[0] !== o.key);
            if (o.size <= maxSize) model.push([o.key, i, o.size]);
            while (model.length > maxEntries || model.reduce((s, e) => s + e[2], 0) > maxSize) model.shift();
          } else if (o.kind === "get") {
            const hit = model.find((e) => e[0] === o.key);
            expect(lru.get(o.key)).toBe(hit?.[1]);
            if (hit) model = [...model.filter((e) => e !== hit), hit];
          } else {
            expect(lru.delete(o.key)).toBe(model.some((e) => e[0] === o.key));
            model = model.filter((e) => e[0] !== o.key);
          }
          expect(lru.keys()).toEqual(model.map((e) => e[0]));
          expect(lru.bytes).toBe(model.reduce((s, e) => s + e[2], 0));
        });
      }),
    );
  });
});
