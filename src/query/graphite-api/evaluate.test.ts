import { describe, expect, it } from "vitest";
import { createSeries, type Series } from "../../graphite/series.js";
import { evaluateTargets, type EvaluateOptions } from "./evaluate.js";

const STEP = 60;
const FROM = 1_800_000_000;
const UNTIL = FROM + 600;

/** A fake store of two names whose value at t is t/60 mod 10 (a: as is, b: times 10); records every fetch. */
function fakeFetch() {
  const calls: Array<[string, number, number]> = [];
  const names: Record<string, string[]> = { "x.*": ["x.a", "x.b"], "x.a": ["x.a"], "x.b": ["x.b"], "x.{a,b}": ["x.a", "x.b"] };
  const fetchPath = async (expression: string, from: number, until: number): Promise<Series[]> => {
    calls.push([expression, from, until]);
    const start = Math.floor(from / STEP) * STEP + STEP;
    const end = Math.floor(until / STEP) * STEP + STEP;
    return (names[expression] ?? []).map((name) => {
      const k = name.endsWith("b") ? 10 : 1;
      const values: number[] = [];
      for (let t = start; t < end; t += STEP) values.push(((t / STEP) % 10) * k);
      return createSeries({ name, pathExpression: expression, start, end, step: STEP, values });
    });
  };
  return { calls, fetchPath };
}

function opts(fetchPath: EvaluateOptions["fetchPath"], extra: Partial<EvaluateOptions> = {}): EvaluateOptions {
  return { from: FROM, until: UNTIL, now: UNTIL, xFilesFactor: 0, fetchPath, ...extra };
}

const valuesOf = (s: Series) => Array.from(s.values);
/** The fake's values over (from, until]. */
const expected = (k: number, from = FROM, until = UNTIL) => {
  const out: number[] = [];
  for (let t = Math.floor(from / STEP) * STEP + STEP; t < Math.floor(until / STEP) * STEP + STEP; t += STEP) out.push(((t / STEP) % 10) * k);
  return out;
};

describe("evaluateTargets", () => {
  it("targets in order, a path fetched with the expression as typed, calls through the registry", async () => {
    const { calls, fetchPath } = fakeFetch();
    const out = await evaluateTargets(["x.*", "sumSeries(x.*)", "  "], opts(fetchPath));
    expect(out.map((s) => s.name)).toEqual(["x.a", "x.b", "sumSeries(x.*)"]);
    expect(valuesOf(out[2])).toEqual(expected(1).map((v, i) => v + expected(10)[i]));
    // The same path over the same range is read once per request.
    expect(calls).toEqual([["x.*", FROM, UNTIL]]);
    const again = await evaluateTargets(["asPercent(x.*,sumSeries(x.*))"], opts(fetchPath));
    expect(again.map((s) => s.name)).toEqual(["asPercent(x.a,sumSeries(x.*))", "asPercent(x.b,sumSeries(x.*))"]);
    expect(calls).toHaveLength(2);
  });

  it("a pipe is the nested call", async () => {
    const { fetchPath } = fakeFetch();
    const [piped] = await evaluateTargets(["x.a|scale(2)|offset(1)"], opts(fetchPath));
    const [nested] = await evaluateTargets(["offset(scale(x.a,2),1)"], opts(fetchPath));
    expect(piped.name).toBe("offset(scale(x.a,2),1)");
    expect(valuesOf(piped)).toEqual(valuesOf(nested));
    expect(valuesOf(piped)).toEqual(expected(1).map((v) => 2 * v + 1));
  });

  it("refetch re-evaluates the call's first argument (a whole call) over the new range", async () => {
    const { calls, fetchPath } = fakeFetch();
    const [ma] = await evaluateTargets(["movingAverage(scale(x.a,2),3)"], opts(fetchPath));
    // Fetched once for the argument, once more from 3 steps before `from` for the bootstrap.
    expect(calls).toEqual([["x.a", FROM, UNTIL], ["x.a", FROM - 3 * STEP, UNTIL]]);
    const longer = expected(1, FROM - 3 * STEP).map((v) => 2 * v);
    const want = longer.slice(3).map((_, i) => (longer[i + 1] + longer[i + 2] + longer[i + 3]) / 3);
    expect(valuesOf(ma)).toEqual(want);
    expect(ma.start).toBe(FROM + STEP);
  });

  it("timeShift fetches the shifted range", async () => {
    const { calls, fetchPath } = fakeFetch();
    const [shifted] = await evaluateTargets(["timeShift(x.b,'1h')"], opts(fetchPath));
    expect(calls[1]).toEqual(["x.b", FROM - 3600, UNTIL - 3600]);
    expect(valuesOf(shifted)).toEqual(expected(10, FROM - 3600, UNTIL - 3600));
    expect(shifted.start).toBe(FROM + STEP);
  });

  it("template() replaces $name in paths; request template[] values win", async () => {
    const { calls, fetchPath } = fakeFetch();
    const out = await evaluateTargets(["template(x.$n, n='a')", "template(scale(x.$1,$2), 'b', 3)"], opts(fetchPath));
    expect(out.map((s) => s.name)).toEqual(["x.a", "scale(x.b,3)"]);
    expect(valuesOf(out[1])).toEqual(expected(30));
    const over = await evaluateTargets(["template(x.$n, n='a')"], opts(fetchPath, { template: { n: "b" } }));
    expect(over[0].name).toBe("x.b");
    expect(calls.map((c) => c[0])).toEqual(["x.a", "x.b", "x.b"]); // three requests: nothing shared between them
  });

  it("an unknown function is refused before anything is fetched", async () => {
    const { calls, fetchPath } = fakeFetch();
    await expect(evaluateTargets(["sumSeries(nosuchFunc(x.*))"], opts(fetchPath))).rejects.toMatchObject({ code: "TORUS_ERR_GRAPHITE_UNKNOWN_FUNCTION", message: expect.stringContaining("nosuchFunc") });
    expect(calls).toEqual([]);
  });

  it("setXFilesFactor sets the request's default for later calls", async () => {
    const { fetchPath } = fakeFetch();
    const out = await evaluateTargets(["setXFilesFactor(x.a,0.5)", "sumSeries(x.a)"], opts(fetchPath));
    expect(out[0].xFilesFactor).toBe(0.5);
    expect(out[1].xFilesFactor).toBe(0.5);
  });

  it("seriesByTag without a tag source matches nothing; fetchTagged answers it when given", async () => {
    const { fetchPath } = fakeFetch();
    expect(await evaluateTargets(["seriesByTag('name=x.a')"], opts(fetchPath))).toEqual([]);
    const tagged = createSeries({ name: "x.a;dc=east", start: FROM + STEP, step: STEP, values: [1] });
    const seen: string[][] = [];
    const out = await evaluateTargets(["sumSeries(seriesByTag('dc=east'))"], opts(fetchPath, { fetchTagged: async (e) => (seen.push(e), [tagged]) }));
    expect(seen).toEqual([["dc=east"]]);
    expect(out[0].name).toBe("sumSeries(seriesByTag('dc=east'))");
  });

  it("keyword arguments, None, booleans and inf reach the function", async () => {
    const { fetchPath } = fakeFetch();
    const [kept] = await evaluateTargets(["keepLastValue(x.a, limit=inf)"], opts(fetchPath));
    expect(kept.name).toBe("keepLastValue(x.a)");
    const sorted = await evaluateTargets(["sortByName(x.*, natural=false, reverse=true)"], opts(fetchPath));
    expect(sorted.map((s) => s.name)).toEqual(["x.b", "x.a"]);
  });
});
