/**
 * Holt-Winters forecasts (graphite-web's holtWintersAnalysis: alpha = gamma = 0.1, beta = 0.0035, one
 * season = `seasonality` seconds // step), bootstrapped from `bootstrapInterval` before the range.
 */
import { createSeries, derive, NULL, type Series } from "../series.js";
import { checkPoints, parseInterval } from "./agg.js";
import { areaBetweenSeries } from "./special.js";
import { opt, seriesList } from "./params.js";
import { defineFunction, refetch, type EvalContext, type ParamDef } from "./registry.js";

interface Analysis {
  predictions: Float64Array;
  deviations: Float64Array;
}

function analyse(s: Series, seasonSeconds: number): Analysis {
  const alpha = 0.1;
  const gamma = 0.1;
  const beta = 0.0035;
  const season = Math.floor(seasonSeconds / s.step);
  const n = s.values.length;
  const intercepts = new Float64Array(n);
  const slopes = new Float64Array(n);
  const seasonals = new Float64Array(n);
  const predictions = new Float64Array(n);
  const deviations = new Float64Array(n);
  const lastSeasonal = (i: number) => (i - season >= 0 ? seasonals[i - season] : 0);
  const lastDeviation = (i: number) => (i - season >= 0 ? deviations[i - season] : 0);
  let nextPred = NULL;
  for (let i = 0; i < n; i++) {
    const actual = s.values[i];
    if (actual !== actual) {
      intercepts[i] = NULL;
      slopes[i] = 0;
      seasonals[i] = 0;
      predictions[i] = nextPred;
      deviations[i] = 0;
      nextPred = NULL;
      continue;
    }
    let lastIntercept: number;
    let lastSlope: number;
    let prediction: number;
    if (i === 0) {
      lastIntercept = actual;
      lastSlope = 0;
      prediction = actual;
    } else {
      lastIntercept = intercepts[i - 1];
      lastSlope = slopes[i - 1];
      if (lastIntercept !== lastIntercept) lastIntercept = actual;
      prediction = nextPred;
    }
    const ls = lastSeasonal(i);
    const nextLs = lastSeasonal(i + 1);
    const lsd = lastDeviation(i);
    const intercept = alpha * (actual - ls) + (1 - alpha) * (lastIntercept + lastSlope);
    const slope = beta * (intercept - lastIntercept) + (1 - beta) * lastSlope;
    const seasonal = gamma * (actual - intercept) + (1 - gamma) * ls;
    nextPred = intercept + slope + nextLs;
    const deviation = gamma * Math.abs(actual - (prediction === prediction ? prediction : 0)) + (1 - gamma) * lsd;
    intercepts[i] = intercept;
    slopes[i] = slope;
    seasonals[i] = seasonal;
    predictions[i] = prediction;
    deviations[i] = deviation;
  }
  return { predictions, deviations };
}

const bootstrapParam: ParamDef = { name: "bootstrapInterval", type: "interval", default: "7d", suggestions: ["7d", "30d"] };
const seasonalityParam: ParamDef = { name: "seasonality", type: "interval", default: "1d", suggestions: ["1d", "7d"] };
const deltaParam: ParamDef = opt("delta", "integer", 3, { anyNumber: true });

interface Preview {
  series: Series;
  analysis: Analysis;
  skip: number;
  previewSeconds: number;
}

async function previews(ctx: EvalContext, list: Series[], bootstrap: string, seasonality: string, fn: string): Promise<Preview[]> {
  const previewSeconds = parseInterval(bootstrap, fn, "bootstrapInterval");
  const seasonSeconds = parseInterval(seasonality, fn, "seasonality");
  const read = await refetch(ctx, list, ctx.from - previewSeconds, ctx.until);
  // The analysis keeps five arrays the size of each re-read series (a week of bootstrap by default):
  // charged before they are made, as the outputs are when the function returns.
  let working = 0;
  for (const s of read) working += 5 * s.values.length;
  checkPoints(ctx, fn, "bootstrapInterval", working);
  return read.map((series) => ({
    series,
    analysis: analyse(series, seasonSeconds),
    skip: Math.floor(previewSeconds / series.step),
    previewSeconds,
  }));
}

defineFunction({
  name: "holtWintersForecast",
  group: "Calculate",
  description: "Holt-Winters forecast of each series, bootstrapped from bootstrapInterval before the range.",
  params: [seriesList, bootstrapParam, seasonalityParam],
  impl: async (ctx, list: Series[], bootstrap: string, seasonality: string) =>
    (await previews(ctx, list, bootstrap, seasonality, "holtWintersForecast")).map(({ series, analysis, skip, previewSeconds }) => {
      const r = derive(series, analysis.predictions.slice(skip), `holtWintersForecast(${series.name})`, {
        start: series.start + previewSeconds,
      });
      // holtWintersAnalysis marks the re-read series' own tags dict with both of its outputs.
      r.tags.holtWintersForecast = "1";
      r.tags.holtWintersDeviation = "1";
      return r;
    }),
});

async function bands(ctx: EvalContext, list: Series[], delta: number, bootstrap: string, seasonality: string, fn: string): Promise<Series[]> {
  const out: Series[] = [];
  for (const { series, analysis, skip, previewSeconds } of await previews(ctx, list, bootstrap, seasonality, fn)) {
    const forecast = analysis.predictions.slice(skip);
    const deviation = analysis.deviations.slice(skip);
    const upper = new Float64Array(forecast.length);
    const lower = new Float64Array(forecast.length);
    for (let i = 0; i < forecast.length; i++) {
      upper[i] = forecast[i] + delta * deviation[i];
      lower[i] = forecast[i] - delta * deviation[i];
    }
    // graphite-web mutates one tags dict (the re-read series', already marked by holtWintersAnalysis) for
    // both bands, so each carries every marker.
    const make = (name: string, values: Float64Array): Series => {
      const s = createSeries({
        name,
        start: series.start + previewSeconds,
        end: series.end,
        step: series.step,
        values,
        pathExpression: series.pathExpression,
        tags: { ...series.tags, holtWintersForecast: "1", holtWintersDeviation: "1", holtWintersConfidenceUpper: "1", holtWintersConfidenceLower: "1" },
      });
      return { ...s, xFilesFactor: series.xFilesFactor };
    };
    out.push(make(`holtWintersConfidenceLower(${series.name})`, lower));
    out.push(make(`holtWintersConfidenceUpper(${series.name})`, upper));
  }
  return out;
}

defineFunction({
  name: "holtWintersConfidenceBands",
  group: "Calculate",
  description: "Lower and upper bands: forecast ∓ delta × the predicted deviation.",
  params: [seriesList, deltaParam, bootstrapParam, seasonalityParam],
  impl: (ctx, list: Series[], delta: number, bootstrap: string, seasonality: string) =>
    bands(ctx, list, delta, bootstrap, seasonality, "holtWintersConfidenceBands"),
});

defineFunction({
  name: "holtWintersAberration",
  group: "Calculate",
  description: "How far each value lies outside the confidence bands (0 inside them or when null).",
  params: [seriesList, deltaParam, bootstrapParam, seasonalityParam],
  impl: async (ctx, list: Series[], delta: number, bootstrap: string, seasonality: string) => {
    const byName = new Map((await bands(ctx, list, delta, bootstrap, seasonality, "holtWintersAberration")).map((b) => [b.name, b]));
    const out: Series[] = [];
    for (const s of list) {
      const lower = byName.get(`holtWintersConfidenceLower(${s.name})`);
      const upper = byName.get(`holtWintersConfidenceUpper(${s.name})`);
      if (!lower || !upper) continue;
      const values = Float64Array.from(s.values, (v, i) => {
        if (v !== v) return 0;
        const u = i < upper.values.length ? upper.values[i] : NULL;
        const l = i < lower.values.length ? lower.values[i] : NULL;
        if (u === u && v > u) return v - u;
        if (l === l && v < l) return v - l;
        return 0;
      });
      const r = derive(s, values, `holtWintersAberration(${s.name})`);
      r.tags.holtWintersAberration = "1";
      out.push(r);
    }
    return out;
  },
});

defineFunction({
  name: "holtWintersConfidenceArea",
  group: "Calculate",
  description: "The confidence bands drawn as an area (graph options only).",
  params: [seriesList, deltaParam, bootstrapParam, seasonalityParam],
  impl: async (ctx, list: Series[], delta: number, bootstrap: string, seasonality: string) =>
    areaBetweenSeries(await bands(ctx, list, delta, bootstrap, seasonality, "holtWintersConfidenceArea"), "holtWintersConfidenceArea").map((s) => {
      const tags: Record<string, string> = { ...s.tags, holtWintersConfidenceArea: "1" };
      delete tags.areaBetween;
      const name = s.name.replace("areaBetween", "holtWintersConfidenceArea");
      return { ...s, name, pathExpression: name, tags };
    }),
});
