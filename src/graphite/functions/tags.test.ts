/**
 * The tags each function adds, as graphite-web 1.1.10's functions.py writes them: `series.tags[key] = value`
 * through its `Tags` dict, which stores `str(value)` — so `1` is "1", a float minimum "1.0", None "None".
 * The expected values below are read off functions.py, one row per function.
 */
import { describe, expect, it } from "vitest";
import { createSeries, type Series } from "../series.js";
import { callFunction, type ArgValue, type EvalContext } from "./index.js";

const T0 = 1795737600;
const STEP = 60;

/** a.b: 1, 2, null, 4, … over any range (its values are the minute index + 1, every third null). */
function ab(from: number, until: number): Series[] {
  const start = from - (from % STEP);
  const values: (number | null)[] = [];
  for (let t = start; t < until; t += STEP) values.push(((t - T0) / STEP) % 3 === 2 ? null : (t - T0) / STEP + 1);
  return [createSeries({ name: "a.b", start, step: STEP, values })];
}

function context(): EvalContext {
  return { from: T0, until: T0 + 600, now: T0 + 600, fetch: async (expr, from, until) => (expr === "a.b" ? ab(from, until) : []) };
}

const input = () => ab(T0, T0 + 600);
const allNull = () => [createSeries({ name: "a.b", start: T0, step: STEP, values: [null, null] })];

// [function, arguments after the series list, tags added to {name: "a.b"}]
const cases: Array<[string, ArgValue[], Record<string, string>]> = [
  ["scale", [2], { scale: "2" }],
  ["scale", [0.5], { scale: "0.5" }],
  ["offset", [-1], { offset: "-1" }],
  ["add", [5], { add: "5" }],
  ["pow", [2], { pow: "2" }],
  ["absolute", [], { absolute: "1" }],
  ["squareRoot", [], { squareRoot: "1" }],
  ["invert", [], { invert: "1" }],
  ["exp", [], { exp: "e" }],
  ["sigmoid", [], { sigmoid: "sigmoid" }],
  ["logit", [], { logit: "logit" }],
  ["isNonNull", [], { isNonNull: "1" }],
  ["offsetToZero", [], { offsetToZero: "1.0" }],
  ["round", [], { round: "0" }],
  ["round", [2], { round: "2" }],
  ["derivative", [], { derivative: "1" }],
  ["perSecond", [], { perSecond: "1" }],
  ["integral", [], { integral: "1" }],
  ["nonNegativeDerivative", [], { nonNegativeDerivative: "1" }],
  ["integralByInterval", ["1h"], { integralByInterval: "1h" }],
  ["delay", [2], { delay: "2" }],
  ["log", [], { log: "10" }],
  ["log", [2], { log: "2" }],
  ["scaleToSeconds", [1], { scaleToSeconds: "1" }],
  ["consolidateBy", ["max"], { consolidateBy: "max" }],
  ["setXFilesFactor", [0.5], { xFilesFactor: "0.5" }],
  ["transformNull", [0], { transformNull: "0" }],
  ["secondYAxis", [], { secondYAxis: "1" }],
  ["drawAsInfinite", [], { drawAsInfinite: "1" }],
  ["dashed", [], { dashed: "5" }],
  ["dashed", [2.5], { dashed: "2.5" }],
  ["stacked", [], { stacked: "__DEFAULT__" }],
  ["movingAverage", [2], { movingAverage: "2" }],
  ["movingMax", ["5min"], { movingMax: "5min" }],
  ["stdev", [2], { stdev: "2" }],
  ["nPercentile", [50], { nPercentile: "50" }],
  ["removeAbovePercentile", [50], { nPercentile: "50.0" }],
  ["removeBelowPercentile", [12.5], { nPercentile: "12.5" }],
  ["removeAboveValue", [50], {}],
  ["summarize", ["1h"], { summarize: "1h", summarizeFunction: "sum" }],
  ["summarize", ["1h", "max"], { summarize: "1h", summarizeFunction: "max" }],
  ["smartSummarize", ["5min", "avg"], { smartSummarize: "5min", smartSummarizeFunction: "avg" }],
  ["hitcount", ["5min"], { hitcount: "5min" }],
  ["timeShift", ["1h"], { timeShift: "-1h" }],
  ["timeSlice", [String(T0), String(T0 + 120)], { timeSliceStart: String(T0), timeSliceEnd: String(T0 + 120) }],
  ["sumSeries", [], { aggregatedBy: "sum" }],
  ["averageSeries", [], { aggregatedBy: "average" }],
  // No tag in graphite-web.
  ["minMax", [], {}],
  ["keepLastValue", [], {}],
  ["alias", ["x"], {}],
];

describe("tags added by each function (graphite-web 1.1.10 functions.py)", () => {
  it.each(cases)("%s(a.b, %j)", async (fn, args, added) => {
    const out = await callFunction(context(), fn, [input(), ...args]);
    expect(out.length).toBeGreaterThan(0);
    for (const s of out) expect(s.tags).toEqual({ name: "a.b", ...added });
  });

  it("offsetToZero of a series with no value tags str(None)", async () => {
    const [s] = await callFunction(context(), "offsetToZero", [allNull()]);
    expect(s.tags).toEqual({ name: "a.b", offsetToZero: "None" });
  });

  it("areaBetween marks both series with the upper one's tags", async () => {
    const lower = input();
    const upper = [{ ...input()[0], tags: { name: "a.b", side: "up" } }];
    const out = await callFunction(context(), "areaBetween", [[...lower, ...upper]]);
    expect(out.map((s) => s.tags)).toEqual([
      { name: "a.b", side: "up", areaBetween: "1" },
      { name: "a.b", side: "up", areaBetween: "1" },
    ]);
  });

  it("holtWinters: the analysis marks the re-read series, so forecast and bands carry every marker", async () => {
    const hw = { holtWintersForecast: "1", holtWintersDeviation: "1" };
    const [forecast] = await callFunction(context(), "holtWintersForecast", [input(), "10min", "5min"]);
    expect(forecast.tags).toEqual({ name: "a.b", ...hw });
    const bands = await callFunction(context(), "holtWintersConfidenceBands", [input(), 3, "10min", "5min"]);
    const both = { name: "a.b", ...hw, holtWintersConfidenceUpper: "1", holtWintersConfidenceLower: "1" };
    expect(bands.map((s) => s.tags)).toEqual([both, both]);
    const area = await callFunction(context(), "holtWintersConfidenceArea", [input(), 3, "10min", "5min"]);
    expect(area.map((s) => s.tags)).toEqual([
      { ...both, holtWintersConfidenceArea: "1" },
      { ...both, holtWintersConfidenceArea: "1" },
    ]);
    // Aberration tags the input series itself, not the re-read one.
    const [aberration] = await callFunction(context(), "holtWintersAberration", [input(), 3, "10min", "5min"]);
    expect(aberration.tags).toEqual({ name: "a.b", holtWintersAberration: "1" });
  });
});
