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

  it("after a reset (which keeps its grown slots) holds none of the names before, and takes as many again", () => {
    const table = new NameTable({ maxBytes: 20_000, slots: 2, seed: 3 });
    const fill = (tag: string) => {
      let n = 0;
      while (idOf(table, `${tag}.${n}`) >= 0) n++;
      return n;
    };
    const first = fill("a0"); // the same length as the names of each round, so as many fit
    for (let round = 0; round < 3; round++) {
      table.reset();
      for (let k = 0; k < first; k += 7) {
        const b = bytes(`a0.${k}`);
        expect(table.lookup(b, 0, b.length, table.hash(b, 0, b.length))).toBe(-1);
      }
      expect(fill(`b${round}`)).toBe(first);
      for (let k = 0; k < first; k++) expect(table.names[idOf(table, `b${round}.${k}`)]).toBe(`b${round}.${k}`);
    }
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

  it("finds the same id exactly when the bytes are equal, wherever they lie (words read at any alignment)", () => {
    // A few names and copies of them with one byte changed anywhere (first word, middle, last word), so equal names and near misses are common.
    const letters = [0x61, 0x62, 0x2e, 0x3b, 0x3d, 0xc3, 0xa9];
    const bases = fc.array(fc.array(fc.constantFrom(...letters), { maxLength: 17 }), { minLength: 1, maxLength: 3 });
    const item = fc.record({ base: fc.nat(), change: fc.option(fc.tuple(fc.nat(), fc.constantFrom(...letters))), before: fc.nat({ max: 7 }), after: fc.nat({ max: 7 }) });
    fc.assert(
      fc.property(bases, fc.array(item, { minLength: 1, maxLength: 60 }), fc.integer(), fc.boolean(), (names, items, seed, collide) => {
        // `collide`: every name in one slot run of a tiny table, so the byte comparison alone tells them apart.
        const table = new NameTable(collide ? { slots: 2, hash: (_b, s, e) => (e - s) & 1 } : { seed, slots: 2 });
        const idOfBytes = new Map<string, number>();
        for (const { base, change, before, after } of items) {
          const n = Buffer.from(names[base % names.length]);
          if (change !== null && n.length > 0) n[change[0] % n.length] = change[1];
          // Each name in its own buffer with junk either side: a new buffer every time, as chunks come.
          const buf = Buffer.concat([Buffer.alloc(before, 0x20), n, Buffer.alloc(after, 0x7a)]);
          const start = before;
          const end = before + n.length;
          const h = table.hash(buf, start, end);
          let id = table.lookup(buf, start, end, h);
          const key = n.toString("hex");
          const known = idOfBytes.get(key);
          if (known === undefined) {
            expect(id).toBe(-1);
            id = table.insert(buf, start, end, h, n.toString("latin1"));
            if (id < 0) continue; // past the probe bound: the caller takes the string path
            idOfBytes.set(key, id);
          } else {
            expect(id).toBe(known);
          }
        }
        // Different names never share an id, and each id keeps its name.
        expect(new Set(idOfBytes.values()).size).toBe(idOfBytes.size);
        for (const [key, id] of idOfBytes) expect(table.names[id]).toBe(Buffer.from(key, "hex").toString("latin1"));
      }),
      { numRuns: 300 },
    );
  });

  it("hashes the same bytes alike at every offset and in every buffer, and as hashBytes does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat({ max: 9 }), fc.integer(), (b, at, seed) => {
        const table = new NameTable({ seed });
        const name = Buffer.from(b);
        const shifted = Buffer.concat([Buffer.alloc(at, 0xff), name, Buffer.alloc(3, 0xff)]);
        const h = table.hash(name, 0, name.length);
        expect(table.hash(shifted, at, at + name.length)).toBe(h);
        expect(table.hash(name, 0, name.length)).toBe(h); // the first buffer again, after another
        expect(hashBytes(shifted, at, at + name.length, seed)).toBe(h);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a slot count that is not a power of two", () => {
    expect(() => new NameTable({ slots: 3 })).toThrow(/power of two/);
  });
});
