import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_PROBES, NameTable, hashBytes } from "./name-table.js";

const bytes = (s: string) => Buffer.from(s, "utf8");
/** Look `name` up, inserting it when new: its id, or -1 when the table turned it away. */
function idOf(table: NameTable, name: string): number {
  const b = bytes(name);
  const h = table.hash(b, 0, b.length);
  const id = table.lookup(b, 0, b.length, h);
  return id >= 0 ? id : table.insert(b, 0, b.length, h, name);
}

describe("NameTable", () => {
  it("gives each name one id, found again from its bytes anywhere in a buffer", () => {
    const table = new NameTable({ seed: 1 });
    const names = ["a", "a.b", "stats.timers.app1.feature2.mean", "héllo.wörld", "", "x".repeat(300)];
    const ids = names.map((n) => idOf(table, n));
    expect(new Set(ids).size).toBe(names.length);
    names.forEach((n, i) => {
      const line = Buffer.from(`junk ${n} 1 2`);
      const start = 5;
      const end = start + bytes(n).length;
      expect(table.lookup(line, start, end, table.hash(line, start, end))).toBe(ids[i]);
      expect(table.names[ids[i]]).toBe(n);
    });
    expect(table.size).toBe(names.length);
  });

  it("keeps colliding names apart (every name in one slot run of a tiny table)", () => {
    const table = new NameTable({ slots: 2, hash: () => 7 });
    const names = Array.from({ length: MAX_PROBES }, (_, i) => `n${i}`);
    const ids = names.map((n) => idOf(table, n));
    expect(ids).toEqual(names.map((_, i) => i));
    names.forEach((n, i) => expect(idOf(table, n)).toBe(i));
    // One more with the same hash is past the probe bound: turned away (the caller uses the string), never a wrong id.
    expect(idOf(table, "one.too.many")).toBe(-1);
    expect(table.full).toBe(false);
    expect(idOf(table, "n3")).toBe(3);
  });

  it("tells apart names of equal hash and length that differ in one byte", () => {
    const table = new NameTable({ slots: 4, hash: () => 0 });
    expect(idOf(table, "abc")).toBe(0);
    expect(idOf(table, "abd")).toBe(1);
    expect(idOf(table, "abc")).toBe(0);
    expect(idOf(table, "ab")).toBe(2);
  });

  it("stops taking names at its memory bound, and starts afresh on reset", () => {
    const table = new NameTable({ maxBytes: 1_000 });
    let n = 0;
    while (idOf(table, `name.${n}`) >= 0) n++;
    expect(n).toBeGreaterThan(5);
    expect(table.full).toBe(true);
    expect(table.bytes).toBeLessThanOrEqual(1_000);
    expect(idOf(table, "name.0")).toBe(0); // names held stay held
    table.reset();
    expect(table.size).toBe(0);
    expect(table.full).toBe(false);
    expect(idOf(table, "fresh")).toBe(0);
  });

  it("grows past its first slots and still finds every name", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: "grapheme", maxLength: 20 }), { maxLength: 400 }), fc.integer(), (names, seed) => {
        const table = new NameTable({ slots: 2, seed });
        const ids = names.map((n) => idOf(table, n));
        expect(ids.every((id) => id >= 0)).toBe(true);
        names.forEach((n, i) => expect(idOf(table, n)).toBe(ids[i]));
        expect(new Set(ids).size).toBe(names.length);
      }),
      { numRuns: 100 },
    );
  });

  it("hashes by seed: the same bytes hash alike under one seed, differently under most others", () => {
    const b = bytes("stats.gauges.app3.feature9");
    expect(hashBytes(b, 0, b.length, 42)).toBe(hashBytes(Buffer.concat([bytes("xx"), b]), 2, b.length + 2, 42));
    const seen = new Set(Array.from({ length: 50 }, (_, s) => hashBytes(b, 0, b.length, s)));
    expect(seen.size).toBeGreaterThan(45);
  });

  it("refuses a slot count that is not a power of two", () => {
    expect(() => new NameTable({ slots: 3 })).toThrow(/power of two/);
  });
});
