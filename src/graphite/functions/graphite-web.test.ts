/**
 * Every function case graphite-web answered (fixture from test/graphite-oracle/generate.py): our output
 * names, pathExpressions, start/end/step and values must equal graphite-web's; its rejections must be ours.
 */
import { describe, expect, it } from "vitest";
import type { Series } from "../series.js";
import { callFunction, GraphiteFunctionError, type ArgValue, type EvalContext } from "./index.js";
import { fixtureContext, genFetch, loadFixture, toSeries, decodeValue, type FixtureArg, type FixtureCase } from "./fixture.case.js";

const fixture = loadFixture();

// One context per request, as graphite-web has: setXFilesFactor changes the request's default.
async function resolve(ctx: EvalContext, arg: FixtureArg): Promise<ArgValue> {
  if (arg !== null && typeof arg === "object") {
    if ("series" in arg) {
      const key = arg.series;
      if (key.startsWith("@")) return genFetch(fixture, key.slice(1), fixture.range.from, fixture.range.until);
      return fixture.data[key.slice(1)].map(toSeries);
    }
    if ("inf" in arg) return Infinity;
    return callFunction(ctx, arg.call, await Promise.all(arg.args.map((a) => resolve(ctx, a))));
  }
  return arg;
}

function label(c: FixtureCase): string {
  const show = (a: FixtureArg): string =>
    a !== null && typeof a === "object" ? ("series" in a ? a.series : "inf" in a ? "inf" : `${a.call}(${a.args.map(show).join(",")})`) : JSON.stringify(a);
  return `${c.fn}(${c.args.map(show).join(",")}${Object.keys(c.kwargs).length ? "," + JSON.stringify(c.kwargs) : ""})`;
}

function plain(s: Series) {
  return {
    name: s.name,
    pathExpression: s.pathExpression,
    start: s.start,
    end: s.end,
    step: s.step,
    values: Array.from(s.values, (v) => (v !== v ? null : v)),
  };
}

describe(`render functions against ${fixture.graphiteWeb}`, () => {
  it("the fixture has cases", () => {
    expect(fixture.cases.length).toBeGreaterThan(200);
  });
  for (const c of fixture.cases) {
    it(label(c), async () => {
      const ctx = fixtureContext(fixture);
      const kwargs: Record<string, ArgValue> = {};
      for (const [k, v] of Object.entries(c.kwargs)) kwargs[k] = await resolve(ctx, v);
      const run = async () => callFunction(ctx, c.fn, await Promise.all(c.args.map((a) => resolve(ctx, a))), kwargs);
      if (c.error !== undefined) {
        await expect(run()).rejects.toBeInstanceOf(GraphiteFunctionError);
        return;
      }
      const got = (await run()).map(plain);
      const want = c.expected!.map((s) => ({ ...s, values: s.values.map(decodeValue) }));
      expect(got.map((s) => s.name)).toEqual(want.map((s) => s.name));
      for (let i = 0; i < want.length; i++) {
        const { values: gv, ...gm } = got[i];
        const { values: wv, ...wm } = want[i];
        expect(gm, `series ${i} meta`).toEqual(wm);
        expect(gv.length, `series ${i} length`).toBe(wv.length);
        for (let j = 0; j < wv.length; j++) {
          const w = wv[j];
          const g = gv[j];
          if (w === null || g === null || !Number.isFinite(w)) expect(g, `series ${i} point ${j}`).toBe(w);
          else expect(g, `series ${i} point ${j}`).toBeCloseTo(w, 9);
        }
      }
    });
  }
});
