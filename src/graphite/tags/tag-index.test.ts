import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileTagQuery } from "./tag-expression.js";
import { TagIndex } from "./tag-index.js";
import { tagsOfCanonical } from "./tagged-name.js";

describe("TagIndex", () => {
  it("finds by tag, counts values, and forgets a name only when its last group does", () => {
    const idx = new TagIndex();
    idx.add(["disk.used;dc=east;host=h1", "disk.used;dc=west;host=h2", "plain.name"], "a");
    idx.add(["disk.used;dc=east;host=h1", "cpu;dc=east"], "b");
    expect(idx.size).toBe(3);
    expect(idx.find(compileTagQuery(["name=disk.used", "dc=east"]))).toEqual(["disk.used;dc=east;host=h1"]);
    expect(idx.find(compileTagQuery(["dc=~e"]))).toEqual(["cpu;dc=east", "disk.used;dc=east;host=h1"]);
    expect(idx.find(compileTagQuery(["name=~disk", "dc!=east"]))).toEqual(["disk.used;dc=west;host=h2"]);
    expect(idx.find(compileTagQuery(["dc=east", "host="]))).toEqual(["cpu;dc=east"]);
    expect(idx.tags()).toEqual(["dc", "host", "name"]);
    expect(idx.values("dc")).toEqual([{ value: "east", count: 2 }, { value: "west", count: 1 }]);
    expect(idx.values("nope")).toBeNull();
    idx.drop("a");
    expect(idx.find(compileTagQuery(["name=disk.used"]))).toEqual(["disk.used;dc=east;host=h1"]);
    idx.replace("b", ["cpu;dc=east"]);
    expect(idx.find(compileTagQuery(["name=disk.used"]))).toEqual([]);
    expect(idx.values("host")).toBeNull();
    expect(idx.size).toBe(1);
    idx.add(["cpu;dc=east"], "c");
    idx.forget("cpu;dc=east");
    expect([idx.size, idx.tags(), idx.find(compileTagQuery(["dc=east"]))]).toEqual([0, [], []]);
    idx.add(["cpu;dc=east"], "b");
    expect(idx.find(compileTagQuery(["dc=east"]))).toEqual(["cpu;dc=east"]);
  });

  it("agrees with a scan of every name", () => {
    const name = fc.tuple(fc.constantFrom("m1", "m2"), fc.option(fc.constantFrom("a", "b")), fc.option(fc.constantFrom("a", "b"))).map(([m, x, y]) => `${m}${x ? `;x=${x}` : ""}${y ? `;y=${y}` : ""}`);
    const expr = fc.tuple(fc.constantFrom("name", "x", "y"), fc.constantFrom("=", "!=", "=~", "!=~"), fc.constantFrom("", "a", "b", "m1")).map(([t, o, v]) => `${t}${o}${v}`);
    fc.assert(
      fc.property(fc.array(name, { maxLength: 10 }), fc.array(name, { maxLength: 5 }), fc.array(expr, { minLength: 1, maxLength: 3 }), (g1, g2, exprs) => {
        let q;
        try {
          q = compileTagQuery(exprs);
        } catch {
          return;
        }
        const idx = new TagIndex();
        idx.add(g1, "g1");
        idx.add(g2, "g2");
        idx.drop("g2");
        const all = [...new Set(g1)].filter((n) => n.includes(";"));
        expect(idx.find(q)).toEqual(all.filter((n) => q.matches(tagsOfCanonical(n))).sort());
      }),
    );
  });
});
