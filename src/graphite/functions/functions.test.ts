/**
 * Hand-computed cases from the reference (§6, values verified there against graphite-web 1.1.10), the
 * argument binding rules, and bad arguments: a GraphiteFunctionError with a stable code and a one-line
 * message naming the function and the argument.
 */
import { describe, expect, it } from "vitest";
import { createSeries, type Series } from "../series.js";
import { callFunction, GraphiteFunctionError, RenderBudget, type ArgValue, type EvalContext } from "./index.js";

const T0 = 1795737600;
const vals = (s: Series[]) => s.map((x) => Array.from(x.values, (v) => (v !== v ? null : v)));
const series = (name: string, values: (number | null)[], start = T0, step = 60, pathExpression = name) =>
  createSeries({ name, pathExpression, start, step, values });

/** A context whose fetch serves fixed series by expression, and records what was asked. */
function context(store: Record<string, (from: number, until: number) => Series[]> = {}): EvalContext & { asked: string[] } {
  const asked: string[] = [];
  return {
    from: T0,
    until: T0 + 600,
    now: T0 + 600,
    asked,
    fetch: async (expr, from, until) => {
      asked.push(`${expr}@${from}-${until}`);
      return store[expr]?.(from, until) ?? [];
    },
  };
}

const call = (ctx: EvalContext, name: string, args: ArgValue[], kw: Record<string, ArgValue> = {}) => callFunction(ctx, name, args, kw);

describe("cases verified in the reference", () => {
  it("movingAverage([1..10],3) with nulls before the range gives [1,1.5,2,3,…,9] (1.1.10 includes the current point)", async () => {
    const data = (from: number) => {
      const start = from - (from % 60);
      const values: (number | null)[] = [];
      for (let t = start; t < T0 + 600; t += 60) values.push(t < T0 ? null : (t - T0) / 60 + 1);
      return [series("m.x", values, start, 60, "m.x")];
    };
    const ctx = context({ "m.x": data });
    const [out] = await call(ctx, "movingAverage", [data(T0), 3]);
    expect(vals([out])[0]).toEqual([1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(out.name).toBe("movingAverage(m.x,3)");
    expect(out.start).toBe(T0);
    expect(ctx.asked).toEqual([`m.x@${T0 - 180}-${T0 + 600}`]);
  });
  it("movingAverage with an interval string fetches the interval before from and names it quoted", async () => {
    const ctx = context({ "m.x": (from) => [series("m.x", new Array((T0 + 600 - from) / 60).fill(1), from)] });
    const [out] = await call(ctx, "movingAverage", [[series("m.x", new Array(10).fill(1))], "5min"]);
    expect(out.name).toBe('movingAverage(m.x,"5min")');
    expect(ctx.asked).toEqual([`m.x@${T0 - 300}-${T0 + 600}`]);
    expect(out.values.length).toBe(10);
  });
  it("nonNegativeDerivative([10,20,30,5,15,null,25,35,0,10]) and maxValue 255", async () => {
    const ctx = context();
    const [out] = await call(ctx, "nonNegativeDerivative", [[series("c", [10, 20, 30, 5, 15, null, 25, 35, 0, 10])]]);
    expect(vals([out])[0]).toEqual([null, 10, 10, null, 10, null, null, 10, null, 10]);
    const [wrap] = await call(ctx, "nonNegativeDerivative", [[series("c", [250, 255, 1, 3])], 255]);
    expect(vals([wrap])[0]).toEqual([null, 5, 2, 2]);
  });
  it("aliasByNode(sumSeries(servers.*.cpu.user),1) gives '*', node 7 of test.a.cpu gives ''", async () => {
    const ctx = context();
    const list = [series("servers.web1.cpu.user", [1], T0, 60, "servers.*.cpu.user"), series("servers.web2.cpu.user", [2], T0, 60, "servers.*.cpu.user")];
    const sum = await call(ctx, "sumSeries", [list]);
    expect((await call(ctx, "aliasByNode", [sum, 1]))[0].name).toBe("*");
    expect((await call(ctx, "aliasByNode", [[series("test.a.cpu", [1])], 7]))[0].name).toBe("");
  });
  it("aliasSub as Grafana 11.6+ wraps targets: (^.*$) → \\1 A; named groups; literal $", async () => {
    const ctx = context();
    const s = [series("servers.web1.cpu", [1])];
    expect((await call(ctx, "aliasSub", [s, "(^.*$)", "\\1 A"]))[0].name).toBe("servers.web1.cpu A");
    expect((await call(ctx, "aliasSub", [s, "(?P<host>web\\d+)", "<\\g<host>>"]))[0].name).toBe("servers.<web1>.cpu");
    expect((await call(ctx, "aliasSub", [s, "\\.", "$"]))[0].name).toBe("servers$web1$cpu");
    expect((await call(ctx, "aliasSub", [s, "^(\\w+)\\.(\\w+)", "\\2-\\1 \\g<0>"]))[0].name).toBe("web1-servers servers.web1.cpu");
  });
  it("summarize aligns buckets to the epoch, so a trailing all-null bucket is common", async () => {
    const [out] = await call(context(), "summarize", [[series("x", [1, 2, 3, 4, 5], T0 + 60)], "3min"]);
    // start T0+60 → bucket T0 (T0 is a multiple of 180? use the data to decide)
    const b0 = T0 + 60 - ((T0 + 60) % 180);
    expect(out.start).toBe(b0);
    expect(out.step).toBe(180);
    expect(out.name).toBe('summarize(x, "3min", "sum")');
    const expected: (number | null)[] = [];
    for (let b = b0; b < T0 + 360 - ((T0 + 360) % 180) + 180; b += 180) {
      let sum: number | null = null;
      [1, 2, 3, 4, 5].forEach((v, i) => {
        const t = T0 + 60 + i * 60;
        if (t >= b && t < b + 180) sum = (sum ?? 0) + v;
      });
      expected.push(sum);
    }
    expect(vals([out])[0]).toEqual(expected);
    expect(expected.at(-1)).toBeNull();
  });
  it("timeShift re-fetches the shifted range, signs a bare shift as the past, keeps the fetched pathExpression", async () => {
    const ctx = context({ "a.*": (from) => [series("a.b", [7, 8], from, 60, "a.*")] });
    const [out] = await call(ctx, "timeShift", [[series("a.b", [1, 2], T0, 60, "a.*")], "1d"]);
    expect(ctx.asked).toEqual([`a.*@${T0 - 86400}-${T0 + 600 - 86400}`]);
    expect(out.name).toBe('timeShift(a.b, "-1d")');
    expect(out.pathExpression).toBe("a.*");
    expect(out.start).toBe(T0);
    expect(vals([out])[0]).toEqual([7, 8]);
  });
  it("a refetch callback from the evaluator is preferred over fetching pathExpressions", async () => {
    const ctx = { ...context(), refetch: async (from: number) => [series("r", [5, 5], from, 60, "scale(r,2)")] };
    const [out] = await call(ctx, "timeShift", [[series("r", [1, 2])], "-1h"]);
    expect(ctx.asked).toEqual([]);
    expect(vals([out])[0]).toEqual([5, 5]);
  });
  it("constantLine(100) is named 100.0 with 3 points over the range", async () => {
    const [out] = await call(context(), "constantLine", [100]);
    expect(out.name).toBe("100.0");
    expect(out.start).toBe(T0);
    expect(out.step).toBe(300);
    expect(vals([out])[0]).toEqual([100, 100, 100]);
  });
});

describe("argument binding", () => {
  const list = [series("a.b", [1, 2, 3])];
  it("keyword arguments fill parameters by name; positional may not repeat them", async () => {
    const ctx = context();
    expect((await call(ctx, "scale", [list], { factor: 2 }))[0].name).toBe("scale(a.b,2)");
    await expect(call(ctx, "scale", [list, 2], { factor: 3 })).rejects.toMatchObject({ code: "TORUS_ERR_GRAPHITE_ARG_COUNT" });
  });
  it("defaults apply; graphite-web's signature default applies when the param has none (highest n=1)", async () => {
    const ctx = context();
    expect((await call(ctx, "summarize", [list, "1min"]))[0].name).toBe('summarize(a.b, "1min", "sum")');
    expect(await call(ctx, "highest", [[...list, series("a.c", [9])]])).toHaveLength(1);
  });
  it("ints are accepted where floats are expected", async () => {
    expect((await call(context(), "scale", [list, 2]))[0].name).toBe("scale(a.b,2)");
  });
});

describe("bad arguments", () => {
  const list = [series("a.b", [1, 2, 3])];
  const cases: [string, ArgValue[], Record<string, ArgValue>, string, RegExp][] = [
    ["noSuchFunc", [list], {}, "TORUS_ERR_GRAPHITE_UNKNOWN_FUNCTION", /^unknown function: noSuchFunc$/],
    ["scale", [list], {}, "TORUS_ERR_GRAPHITE_ARG_COUNT", /^scale: missing argument "factor"$/],
    ["scale", [list, "x"], {}, "TORUS_ERR_GRAPHITE_ARG_TYPE", /^scale: argument "factor" must be a number, got the string "x"$/],
    ["scale", [2, 2], {}, "TORUS_ERR_GRAPHITE_ARG_TYPE", /^scale: argument "seriesList" must be a series list, got number 2$/],
    ["scale", [list, 2, 3], {}, "TORUS_ERR_GRAPHITE_ARG_COUNT", /^scale: takes at most 2 arguments, got 3$/],
    ["scale", [list, 2], { bogus: 1 }, "TORUS_ERR_GRAPHITE_UNKNOWN_KEYWORD", /^scale: unknown argument "bogus"$/],
    ["delay", [list, 1.5], {}, "TORUS_ERR_GRAPHITE_ARG_TYPE", /^delay: argument "steps" must be an integer/],
    ["aliasByNode", [list], {}, "TORUS_ERR_GRAPHITE_ARG_COUNT", /^aliasByNode: missing argument "nodes"$/],
    ["divideSeries", [list, [...list, ...list]], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^divideSeries: argument "divisorSeries" must reference exactly 1 series \(got 2\)$/],
    ["asPercent", [[...list, ...list, ...list], [...list, ...list]], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^asPercent: argument "total" must be/],
    ["aggregate", [list, "bogus"], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^aggregate: argument "func": unsupported aggregation function "bogus"/],
    ["summarize", [list, "5x"], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^summarize: argument "intervalString": unknown unit "x"/],
    ["summarize", [list, "0min"], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^summarize: argument "intervalString": must not be zero/],
    ["movingAverage", [list, "soon"], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^movingAverage: argument "windowSize": cannot parse interval "soon"/],
    ["movingAverage", [list, 2.5], {}, "TORUS_ERR_GRAPHITE_ARG_TYPE", /^movingAverage: argument "windowSize" must be an integer or an interval string/],
    ["aliasSub", [list, "(", "x"], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^aliasSub: argument "search": invalid regular expression "\("/],
    ["aliasSub", [list, "(a)", "\\2"], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^aliasSub: argument "replace": invalid group reference 2$/],
    ["grep", [list, "[z-a]"], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^grep: argument "pattern": invalid regular expression/],
    ["consolidateBy", [list, "mean"], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^consolidateBy: argument "consolidationFunc": must be one of/],
    ["filterSeries", [list, "max", "~", 1], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^filterSeries: argument "operator": unsupported operator "~"/],
    ["percentileOfSeries", [list, 0], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^percentileOfSeries: argument "n": the requested percent must be greater than 0/],
    ["highestCurrent", [list], {}, "TORUS_ERR_GRAPHITE_ARG_COUNT", /^highestCurrent: missing argument "n"$/],
    ["timeSlice", [list, "yesterday noon"], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^timeSlice: argument "startSliceAt": cannot parse time "yesterday noon"/],
    ["areaBetween", [list], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^areaBetween: argument "seriesList": must reference exactly 2 series, got 1$/],
    ["sumSeriesLists", [list, []], {}, "TORUS_ERR_GRAPHITE_ARG_VALUE", /^sumSeriesLists: seriesListFirstPos and seriesListSecondPos must have the same length/],
  ];
  for (const [fn, args, kw, code, message] of cases) {
    it(`${fn} → ${code}`, async () => {
      const err = await call(context(), fn, args, kw).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GraphiteFunctionError);
      expect((err as GraphiteFunctionError).code).toBe(code);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain("\n");
    });
  }
});

describe("empty inputs give empty outputs, never a crash", () => {
  const names = ["sumSeries", "averageSeries", "scale", "movingAverage", "timeShift", "summarize", "asPercent", "highest", "aliasByNode", "divideSeries", "nPercentile", "percentileOfSeries", "groupByNode"];
  const extra: Record<string, ArgValue[]> = {
    scale: [2],
    movingAverage: [3],
    timeShift: ["1h"],
    summarize: ["1h"],
    highest: [1],
    aliasByNode: [1],
    divideSeries: [[series("d", [1])]],
    nPercentile: [50],
    percentileOfSeries: [50],
    groupByNode: [1],
  };
  for (const fn of names) {
    it(fn, async () => {
      expect(await call(context(), fn, [[], ...(extra[fn] ?? [])])).toEqual([]);
    });
  }
});

describe("wide lists (a glob matching 100,000 names)", () => {
  it("combine, filter and consolidate without overflowing the stack", async () => {
    const wide = Array.from({ length: 100_000 }, (_v, i) => series(`w.n${i}`, [i, null, 1], T0, 60, "w.*"));
    const ctx = context();
    const [sum] = await call(ctx, "sumSeries", [wide]);
    expect(vals([sum])[0]).toEqual([(99_999 * 100_000) / 2, null, 100_000]);
    const [max] = await call(ctx, "maxSeries", [wide]);
    expect(vals([max])[0]).toEqual([99_999, null, 1]);
    expect((await call(ctx, "highestMax", [wide, 1]))[0].name).toBe("w.n99999");
    const { consolidateForMaxDataPoints } = await import("../consolidate.js");
    expect(consolidateForMaxDataPoints(wide, 1)).toHaveLength(100_000);
  });
});

describe("output bounds: one budget of points per request (RENDER_MAX_POINTS)", () => {
  const DAY = 86400;
  /** `n` hourly series over `days` days, as a glob would read them. */
  const hourly = (n: number, days: number) =>
    Array.from({ length: n }, (_, i) => ({ ...series(`h.s${i}`, new Array(days * 24).fill(1), T0, 3600), end: T0 + days * DAY }));

  it("summarize(100 hourly series, '1s') over 40 days is refused before anything is allocated", async () => {
    const list = hourly(100, 40);
    const budget = new RenderBudget();
    budget.adopt(list);
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    const err = await call({ ...context(), budget }, "summarize", [list, "1s"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphiteFunctionError);
    expect(err).toMatchObject({ code: "TORUS_ERR_GRAPHITE_TOO_MANY_POINTS" });
    // 100 series × (40 days of seconds + the bucket graphite-web adds at the end), each alone under 5,000,000.
    expect((err as Error).message).toMatch(new RegExp(`^summarize: argument "intervalString": this request would make ${100 * (40 * DAY + 1)} or more points .*maximum of 20000000 per request \\(RENDER_MAX_POINTS\\)`));
    expect(performance.now() - started).toBeLessThan(500);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it("the same summarize fits a budget just large enough, and the budget then holds exactly its buckets", async () => {
    const list = hourly(3, 2);
    // Epoch-aligned buckets run one past the series' end, as graphite-web's do.
    const buckets = 2 * DAY + 1;
    const budget = new RenderBudget(10, 3 * buckets);
    const out = await call({ ...context(), budget }, "summarize", [list, "1s"]);
    expect(out.map((s) => s.values.length)).toEqual([buckets, buckets, buckets]);
    expect(budget.points).toBe(3 * buckets);
    // One more point anywhere in the request is over.
    await expect(call({ ...context(), budget }, "sinFunction", ["x", 1, 600])).rejects.toMatchObject({ code: "TORUS_ERR_GRAPHITE_TOO_MANY_POINTS" });
  });

  it("generators share the request's budget: a second sinFunction over it is refused, one just under passes", async () => {
    // T0..T0+600 at step 1: 600 points each.
    const budget = new RenderBudget(10, 1199);
    const ctx = { ...context(), budget };
    expect((await call(ctx, "sinFunction", ["a", 1, 1]))[0].values.length).toBe(600);
    await expect(call(ctx, "timeFunction", ["b", 1])).rejects.toMatchObject({ code: "TORUS_ERR_GRAPHITE_TOO_MANY_POINTS", message: expect.stringMatching(/^timeFunction: argument "step": this request would make 1200 or more points/) });
    const roomy = { ...context(), budget: new RenderBudget(10, 1200) };
    await call(roomy, "sinFunction", ["a", 1, 1]);
    expect((await call(roomy, "timeFunction", ["b", 1]))[0].values.length).toBe(600);
  });

  it("timeFunction with step 1 over ten years is refused without a budget too (the default bound, per call)", async () => {
    const ctx = { ...context(), until: T0 + 10 * 365 * DAY };
    await expect(call(ctx, "timeFunction", ["t", 1])).rejects.toMatchObject({ code: "TORUS_ERR_GRAPHITE_TOO_MANY_POINTS" });
  });

  it("holtWintersForecast charges its analysis of the re-read week before making it", async () => {
    // A week of bootstrap at one point a minute, plus the range: 10,090 points read, five working arrays of them.
    const ctx = { ...context({ "m.x": (from, until) => [series("m.x", new Array((until - from) / 60).fill(1), from)] }), budget: new RenderBudget(10, 50_000) };
    const list = [series("m.x", new Array(10).fill(1))];
    await expect(call(ctx, "holtWintersForecast", [list])).rejects.toMatchObject({
      code: "TORUS_ERR_GRAPHITE_TOO_MANY_POINTS",
      message: expect.stringMatching(/^holtWintersForecast: argument "bootstrapInterval": this request would make 50450 or more points/),
    });
  });

  it("other functions' new values are charged when they return; values passed through are not", async () => {
    const list = [series("a", new Array(400).fill(2))];
    const budget = new RenderBudget(10, 1000);
    budget.adopt(list);
    const ctx = { ...context(), budget };
    const scaled = await call(ctx, "scale", [list, 3]);
    expect(budget.points).toBe(400);
    // alias keeps the values: nothing new.
    await call(ctx, "alias", [scaled, "x"]);
    expect(budget.points).toBe(400);
    await call(ctx, "offset", [scaled, 1]);
    expect(budget.points).toBe(800);
    await expect(call(ctx, "absolute", [scaled])).rejects.toMatchObject({ code: "TORUS_ERR_GRAPHITE_TOO_MANY_POINTS", message: expect.stringMatching(/^absolute: this request made 1200 or more points/) });
  });

  it("None for a required argument or one of many is refused", async () => {
    await expect(call(context(), "upper", [[series("a.b", [1])], null])).rejects.toMatchObject({ code: "TORUS_ERR_GRAPHITE_ARG_TYPE" });
    await expect(call(context(), "scale", [[series("a.b", [1])], null])).rejects.toMatchObject({ code: "TORUS_ERR_GRAPHITE_ARG_TYPE" });
  });
  it("None for a parameter with a default takes the default", async () => {
    const [out] = await call(context(), "transformNull", [[series("a.b", [null, 1])], null]);
    expect(out.name).toBe("transformNull(a.b,0)");
    expect(Array.from(out.values)).toEqual([0, 1]);
  });
});
