import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileTagQuery, parseTagExpression } from "./tag-expression.js";
import { tagsOfCanonical } from "./tagged-name.js";

// The series of graphite-web's test_tags.py (_test_tagdb): test.a and test.b with hello/blah tags.
const SERIES = ["test.a;blah=blah;hello=tiger", "test.a;blah=blah;hello=lion", "test.b;hello=tiger", "test.b;blah=blah;hello=tiger;x=1"];

function find(exprs: string[]): string[] {
  const q = compileTagQuery(exprs);
  return SERIES.filter((s) => q.matches(tagsOfCanonical(s)));
}

describe("tag expressions as graphite-web matches them", () => {
  const cases: Array<[string[], string[]]> = [
    [["name=test.a", "hello=tiger"], ["test.a;blah=blah;hello=tiger"]],
    [["name=test.a", "hello!=tiger"], ["test.a;blah=blah;hello=lion"]],
    [["hello=tiger", "blah="], ["test.b;hello=tiger"]], // `blah=`: the tag is absent
    [["hello=tiger", "blah!="], ["test.a;blah=blah;hello=tiger", "test.b;blah=blah;hello=tiger;x=1"]], // present, any value
    [["name=~test", "hello=~ti"], ["test.a;blah=blah;hello=tiger", "test.b;hello=tiger", "test.b;blah=blah;hello=tiger;x=1"]],
    [["name=~a"], []], // anchored at the start: `a` is not a prefix of test.a
    [["name=~.*a"], ["test.a;blah=blah;hello=tiger", "test.a;blah=blah;hello=lion"]],
    [["name=~^test\\.b$"], ["test.b;hello=tiger", "test.b;blah=blah;hello=tiger;x=1"]],
    [["hello!=~t", "name=~test"], ["test.a;blah=blah;hello=lion"]],
    [["name=test.b", "x=~"], ["test.b;hello=tiger", "test.b;blah=blah;hello=tiger;x=1"]], // `x=~` matches '' too
    [["name=test.b", "x!=~"], []],
    [["hello=tiger|lion"], []], // `=` is exact
    [["hello=~tiger|lion", "name=test.a"], ["test.a;blah=blah;hello=tiger", "test.a;blah=blah;hello=lion"]],
    [["name=test.a", "constructor="], ["test.a;blah=blah;hello=tiger", "test.a;blah=blah;hello=lion"]],
  ];
  it.each(cases)("%j", (exprs, expected) => expect(find(exprs)).toEqual(expected));

  it.each([["hello="], ["hello!=x"], ["hello=~.*"], ["a=", "b!=~x"]])("%j: nothing requires a value, refused", (...exprs) => {
    expect(() => compileTagQuery(exprs)).toThrow(/at least one tag expression/);
  });

  it.each(["hello", "=x", "a;b=c", "a=b;c", "a!x=y", ""])("%j is malformed", (text) => {
    expect(() => parseTagExpression(text)).toThrow(/invalid tag expression/);
  });

  it("a bad regex is a clear error", () => expect(() => parseTagExpression("a=~(")).toThrow(/invalid regular expression/));

  it("operators are read greedily as graphite-web's regex does", () => {
    expect(parseTagExpression("a!=~b=c")).toMatchObject({ tag: "a", operator: "!=~", spec: "^(b=c)" });
    expect(parseTagExpression("a==b")).toMatchObject({ tag: "a", operator: "=", spec: "=b" });
  });

  // An independent model: graphite-web's SQL part (expressions not matching '' need the tag present and matching)
  // and its Python filter part, with regexes restricted to `[^]literal[.*]`, i.e. "starts with literal".
  const letters = fc.stringMatching(/^[ab]{0,2}$/);
  const exprArb = fc.record({ tag: fc.constantFrom("k1", "k2", "name"), op: fc.constantFrom("=", "!=", "=~", "!=~"), lit: letters, caret: fc.boolean(), star: fc.boolean() });
  type E = { tag: string; op: string; lit: string; caret: boolean; star: boolean };
  const text = (e: E) => `${e.tag}${e.op}${e.op.endsWith("~") ? `${e.caret ? "^" : ""}${e.lit}${e.star ? ".*" : ""}` : e.lit}`;
  const holds = (e: E, v: string) => (e.op === "=" ? v === e.lit : e.op === "!=" ? v !== e.lit : e.op === "=~" ? v.startsWith(e.lit) : !v.startsWith(e.lit));
  const seriesArb = fc.record({ name: fc.stringMatching(/^[ab]{1,3}$/), k1: fc.option(fc.stringMatching(/^[ab]{1,3}$/)), k2: fc.option(fc.stringMatching(/^[ab]{1,3}$/)) });

  it("matches the model on random series and expressions", () => {
    fc.assert(
      fc.property(fc.array(exprArb, { minLength: 1, maxLength: 4 }), fc.array(seriesArb, { maxLength: 8 }), (exprs, series) => {
        const tagsets = series.map((s) => {
          const t: Record<string, string> = { name: s.name };
          if (s.k1 !== null) t.k1 = s.k1;
          if (s.k2 !== null) t.k2 = s.k2;
          return t;
        });
        const positive = exprs.filter((e) => !holds(e, ""));
        if (positive.length === 0) {
          expect(() => compileTagQuery(exprs.map(text))).toThrow();
          return;
        }
        const q = compileTagQuery(exprs.map(text));
        for (const t of tagsets) {
          const sql = positive.every((e) => e.tag in t && holds(e, t[e.tag]));
          const filter = exprs.filter((e) => holds(e, "")).every((e) => holds(e, t[e.tag] ?? ""));
          expect(q.matches(t)).toBe(sql && filter);
        }
      }),
    );
  });
});
