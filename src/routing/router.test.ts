import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileAggregate } from "../config/index.js";
import { Router, type Matchable } from "./router.js";

const schema = (re: string): Matchable => {
  const r = new RegExp(re);
  return { matches: (s) => r.test(s) };
};

describe("aggregate patterns", () => {
  it.each([
    // [rollup, source, stat, expected rollup or null]
    ["foo", "foo.bar.*", "foo.bar.bow", "foo"],
    ["foo.<env>.tee.<code>", "foo.*.<env>.tee.<code>", "foo.bar.production.tee.404", "foo.production.tee.404"],
    ["foo", "foo.bar.*", "foo.bar.bow.extra", null], // anchored: the whole name must match
    ["foo", "foo.bar.*", "xfoo.bar.bow", null],
    ["foo", "foo.bar.*", "foo.bar.", null], // * needs a non-empty component
    ["app.<status>", "app.*.status.<status>", "app.web01.status.500", "app.500"],
    ["all.<a>", "x.<a>", "x.ünïcödé-名前", "all.ünïcödé-名前"], // any characters but . and whitespace
    ["lit", "a+b.(c)", "a+b.(c)", "lit"], // regex metacharacters are literal
    ["lit", "a+b.(c)", "aab.(c)", null],
    ["<b>.<a>", "<a>.<b>", "x.y", "y.x"],
  ])("(%j, %j) turns %j into %j", (rollup, source, stat, want) => {
    expect(compileAggregate(rollup, source).apply(stat)).toBe(want);
  });

  it.each([
    ["x.<nope>", "x.<a>", /does not capture/],
    ["x", "a..b", /empty component/],
    ["x", "<a>.<a>", /twice/],
  ])("rejects (%j, %j)", (rollup, source, message) => {
    expect(() => compileAggregate(rollup, source, 3)).toThrow(message);
    expect(() => compileAggregate(rollup, source, 3)).toThrow(/AGGREGATES\[3\]/);
  });
});

describe("Router", () => {
  it("routes a stat to every schema it matches, in declaration order", () => {
    const router = new Router([schema("^stats\\."), schema("timers"), schema("^other")], []);
    expect(router.route("stats.timers.x")).toEqual([{ stat: "stats.timers.x", schemas: [0, 1], rule: -1, depth: 0, from: -1 }]);
    expect(router.route("nothing")[0].schemas).toEqual([]);
  });

  it("cascades rollups and reaches each name at most once", () => {
    // foo.bar.dog reaches foo.bar (rule 2), foo (rule 1); foo.bar would reach foo again (rule 0): not twice.
    const aggs = [compileAggregate("foo", "foo.*"), compileAggregate("foo", "foo.*.*"), compileAggregate("foo.<a>", "foo.<a>.*")];
    const router = new Router([schema("^foo")], aggs);
    const route = router.route("foo.bar.dog");
    expect(route.map((s) => s.stat)).toEqual(["foo.bar.dog", "foo", "foo.bar"]);
    expect(route.map((s) => s.rule)).toEqual([-1, 1, 2]);
    expect(new Set(route.map((s) => s.stat)).size).toBe(route.length);
  });

  it("stops loops between rules", () => {
    const router = new Router([schema(".")], [compileAggregate("b.<x>", "a.<x>"), compileAggregate("a.<x>", "b.<x>")]);
    expect(router.route("a.1").map((s) => s.stat)).toEqual(["a.1", "b.1"]);
  });

  it("caches decisions per name, bounded", () => {
    let calls = 0;
    const counting: Matchable = { matches: () => (calls++, true) };
    const router = new Router([counting], [], { cacheLimit: 2 });
    router.route("a");
    router.route("a");
    expect(calls).toBe(1);
    router.route("b");
    router.route("c"); // over the limit: the memo starts afresh
    expect(router.cached).toBe(1);
  });

  it("names that route alike share one shape, its rollups and their names; shapes are bounded like the memo", () => {
    const router = new Router([schema("^a\\."), schema(".")], [compileAggregate("a.<x>", "a.<x>.*")], { cacheLimit: 3 });
    const one = router.shape("a.b.one");
    const two = router.shape("a.b.two");
    expect(two).toBe(one);
    expect(one.schemas).toEqual([0, 1]);
    expect(one.rollups).toEqual([{ stat: "a.b", schemas: [0, 1], rule: 0, depth: 1, from: 0 }]);
    expect(router.route("a.b.two")).toEqual([{ stat: "a.b.two", schemas: [0, 1], rule: -1, depth: 0, from: -1 }, ...one.rollups]);
    // Another rollup name, or other schemas: another shape.
    expect(router.shape("a.c.one")).not.toBe(one);
    expect(router.shape("z.c.one")).not.toBe(router.shape("a.c.two"));
    expect(router.shapeCount).toBe(3);
    router.shape("a.d.one"); // a fourth shape: the shapes start afresh
    expect(router.shapeCount).toBe(1);
    // Worked out again (the memo started afresh too), to the same steps.
    expect(router.shape("a.b.one")).toEqual(one);
  });

  it("a stat vouched flat is the memo's key as it is, and routes as any other", () => {
    const router = new Router([schema(".")], [compileAggregate("x.<a>", "x.<a>.*")]);
    expect(router.shape("x.y.z", true)).toBe(router.shape("x.y.w"));
    expect(router.route("x.y.z").map((s) => s.stat)).toEqual(["x.y.z", "x.y"]);
  });

  it("property: every name in a route is distinct and each rollup comes from an earlier name", () => {
    const aggs = [compileAggregate("r.<a>", "x.<a>.*"), compileAggregate("x.<a>.all", "x.<a>.*"), compileAggregate("top", "r.*"), compileAggregate("x.<a>.<a2>", "x.<a2>.<a>")];
    const router = new Router([schema(".")], aggs);
    const comp = fc.constantFrom("a", "b", "all", "c");
    fc.assert(
      fc.property(comp, comp, (p, q2) => {
        const route = router.route(`x.${p}.${q2}`);
        const names = route.map((s) => s.stat);
        if (new Set(names).size !== names.length) return false;
        return route.every((s, i) => i === 0 || (s.from < i && aggs[s.rule].apply(route[s.from].stat) === s.stat));
      }),
    );
  });
});
