/** Calculate functions (reference §6.3): moving windows over a re-fetched bootstrap range, percentiles. */
import { derive, formatG, maxOf, NULL, pyArg, round6, type Series } from "../series.js";
import { dateArg, getAggFunc, windowOf, xffCount } from "./agg.js";
import { argError } from "./errors.js";
import { opt, req, seriesList, xFilesFactor } from "./params.js";
import { percentile } from "./percentile.js";
import { defineFunction, refetch, type EvalContext } from "./registry.js";


const windowParam = req("windowSize", "intOrInterval");

/**
 * Fills `out[k]` with func over the window `values[k+1 .. k+points]` (what graphite-web 1.1.10 reads for
 * output k) for the common functions, allocation-free and with one specialised loop each; the sums run
 * left to right over the window like Python's `sum`, so the floats are graphite-web's. False when func has
 * no fast path.
 */
function fastWindow(func: string, values: Float64Array, points: number, out: Float64Array, xff: number): boolean {
  const n = out.length;
  const minCount = (c: number) => c > 0 && c / points >= xff;
  if (func === "sum" || func === "average" || func === "avg") {
    const avg = func !== "sum";
    for (let k = 0; k < n; k++) {
      const hi = k + points + 1;
      let acc = 0;
      let c = 0;
      for (let j = hi - points; j < hi; j++) {
        const x = values[j];
        if (x === x) {
          acc += x;
          c++;
        }
      }
      out[k] = minCount(c) ? (avg ? acc / c : acc) : NULL;
    }
    return true;
  }
  if (func === "min" || func === "max") {
    const isMin = func === "min";
    for (let k = 0; k < n; k++) {
      const hi = k + points + 1;
      let acc = isMin ? Infinity : -Infinity;
      let c = 0;
      for (let j = hi - points; j < hi; j++) {
        const x = values[j];
        if (x === x) {
          if (isMin ? x < acc : x > acc) acc = x;
          c++;
        }
      }
      out[k] = minCount(c) ? acc : NULL;
    }
    return true;
  }
  if (func === "median") {
    // A window wider than the series holds at most the series (a huge windowSize must not allocate it).
    const buf = new Float64Array(Math.max(1, Math.min(points, values.length)));
    for (let k = 0; k < n; k++) {
      const hi = k + points + 1;
      let c = 0;
      for (let j = hi - points; j < hi; j++) if (values[j] === values[j]) buf[c++] = values[j];
      if (!minCount(c)) {
        out[k] = NULL;
        continue;
      }
      const sorted = buf.subarray(0, c).sort();
      const mid = c >> 1;
      out[k] = c % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
    return true;
  }
  return false;
}

/**
 * graphite-web 1.1.10's movingWindow: re-fetch from `from − window`, then for each original point the
 * func over the window of points ending at and including it (nulls ignored, xFilesFactor applied).
 */
export async function movingWindow(
  ctx: EvalContext,
  list: Series[],
  window: number | string,
  func: string,
  xff: number | null,
  fn: string,
): Promise<Series[]> {
  if (list.length === 0) return [];
  const agg = getAggFunc(func, fn);
  // graphite-web bootstraps with the largest step of the list (N points) or the interval.
  const preview = windowOf(window, maxOf(list.map((s) => s.step)), fn).seconds;
  const tagName = "moving" + func.charAt(0).toUpperCase() + func.slice(1).toLowerCase();
  return (await refetch(ctx, list, ctx.from - preview, ctx.until)).map((s) => {
    const w = windowOf(window, s.step, fn);
    const points = typeof window === "number" ? w.points : Math.floor(preview / s.step);
    const n = Math.max(0, s.values.length - points);
    const out = new Float64Array(n);
    const effXff = xff ?? s.xFilesFactor;
    if (!fastWindow(func, s.values, points, out, effXff)) {
      for (let k = 0; k < n; k++) {
        const i = k + points + 1;
        const win: number[] = [];
        for (let j = Math.max(0, i - points); j < i; j++) if (s.values[j] === s.values[j]) win.push(s.values[j]);
        out[k] = win.length && xffCount(win.length, points, effXff) ? agg(win) : NULL;
      }
    }
    const name = typeof window === "number" ? `${tagName}(${s.name},${pyArg(window)})` : `${tagName}(${s.name},"${window}")`;
    const r = derive(s, out, name, { start: s.start + preview });
    r.tags[tagName] = String(window);
    return r;
  });
}

defineFunction({
  name: "movingWindow",
  group: "Calculate",
  description: "func over a moving window of points (int) or time (interval string), including the current point.",
  params: [seriesList, windowParam, opt("func", "aggFunc", "average"), xFilesFactor],
  impl: (ctx, list: Series[], w: number | string, func: string, xff: number | null) => movingWindow(ctx, list, w, func, xff, "movingWindow"),
});

for (const [name, func] of [
  ["movingAverage", "average"],
  ["movingSum", "sum"],
  ["movingMin", "min"],
  ["movingMax", "max"],
  ["movingMedian", "median"],
] as const) {
  defineFunction({
    name,
    group: "Calculate",
    description: `Moving ${func} over a window of points or time, including the current point.`,
    params: [seriesList, windowParam, xFilesFactor],
    impl: (ctx, list: Series[], w: number | string, xff: number | null) => movingWindow(ctx, list, w, func, xff, name),
  });
}

defineFunction({
  name: "exponentialMovingAverage",
  group: "Calculate",
  description: "EMA with c = 2/(N+1), seeded by the preceding window's average; one more point than the input.",
  params: [seriesList, windowParam],
  impl: async (ctx, list: Series[], window: number | string) => {
    if (list.length === 0) return [];
    const maxStep = maxOf(list.map((s) => s.step));
    const w = windowOf(window, maxStep, "exponentialMovingAverage");
    const preview = w.seconds;
    // graphite-web's quirk: for an interval string N is the number of seconds.
    const c = 2 / ((typeof window === "number" ? w.points : preview) + 1);
    return (await refetch(ctx, list, ctx.from - preview, ctx.until)).map((s) => {
      const points = typeof window === "number" ? w.points : Math.floor(preview / s.step);
      const seed = s.values.subarray(0, points).filter((v) => v === v);
      let ema = seed.length ? seed.reduce((a, b) => a + b, 0) / seed.length : 0;
      if (ema !== ema || ema === 0) ema = 0;
      const out: number[] = [round6(ema)];
      for (let i = points; i < s.values.length; i++) {
        const v = s.values[i];
        if (v === v) {
          ema = c * v + (1 - c) * ema;
          out.push(round6(ema));
        } else out.push(NULL);
      }
      const name = typeof window === "number" ? `exponentialMovingAverage(${s.name},${pyArg(window)})` : `exponentialMovingAverage(${s.name},"${window}")`;
      const r = derive(s, Float64Array.from(out), name, { start: s.start + preview });
      r.tags.exponentialMovingAverage = String(window);
      return r;
    });
  },
});

defineFunction({
  name: "nPercentile",
  group: "Calculate",
  description: "A constant line at the n-th percentile of each series; an empty series is dropped.",
  params: [seriesList, req("n", "float")],
  impl: (_ctx, list: Series[], n: number) => {
    if (!n) throw argError("nPercentile", "n", "the requested percent must be greater than 0");
    const out: Series[] = [];
    for (const s of list) {
      const p = percentile(s.values, n);
      if (p !== p) continue;
      const count = Math.trunc((s.end - s.start) / s.step);
      const r = derive(s, new Float64Array(count).fill(p), `nPercentile(${s.name}, ${formatG(n)})`);
      r.tags.nPercentile = pyArg(n);
      out.push(r);
    }
    return out;
  },
});

defineFunction({
  name: "stdev",
  group: "Calculate",
  description: "Moving population standard deviation over the given number of points.",
  params: [seriesList, req("points", "integer"), opt("windowTolerance", "float", 0.1)],
  impl: (_ctx, list: Series[], points: number, tolerance: number) =>
    list.map((s) => {
      const out = new Float64Array(s.values.length).fill(NULL);
      let sum = 0;
      let sumSq = 0;
      let count = 0;
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i];
        if (v === v) {
          count++;
          sum += v;
          sumSq += v * v;
        }
        if (i >= points) {
          const old = s.values[i - points];
          if (old === old) {
            count--;
            sum -= old;
            sumSq -= old * old;
          }
        }
        if (count > 0 && count / points >= tolerance) {
          out[i] = Math.sqrt(Math.max(0, (count * sumSq - sum * sum) / (count * count)));
        }
      }
      const r = derive(s, out, `stdev(${s.name},${Math.trunc(points)})`);
      r.tags.stdev = String(points);
      return r;
    }),
});

defineFunction({
  name: "linearRegression",
  group: "Calculate",
  description: "The least-squares line of the series (optionally fitted over another range).",
  params: [seriesList, opt("startSourceAt", "date", null), opt("endSourceAt", "date", null)],
  impl: async (ctx, list: Series[], startAt: string | number | null, endAt: string | number | null) => {
    const from = startAt === null ? ctx.from : Math.trunc(dateArg(ctx, startAt, "linearRegression", "startSourceAt"));
    const until = endAt === null ? ctx.until : Math.trunc(dateArg(ctx, endAt, "linearRegression", "endSourceAt"));
    const sources = await refetch(ctx, list, from, until);
    const out: Series[] = [];
    for (let k = 0; k < Math.min(sources.length, list.length); k++) {
      const src = sources[k];
      const s = list[k];
      let n = 0, sumI = 0, sumV = 0, sumII = 0, sumIV = 0;
      src.values.forEach((v, i) => {
        if (v !== v) return;
        n++;
        sumI += i;
        sumV += v;
        sumII += i * i;
        sumIV += i * v;
      });
      const den = n * sumII - sumI * sumI;
      if (den === 0) continue;
      const factor = (n * sumIV - sumI * sumV) / den / src.step;
      const offset = (sumII * sumV - sumIV * sumI) / den - factor * src.start;
      const values = Float64Array.from(s.values, (_v, i) => offset + (s.start + i * s.step) * factor);
      const r = derive(s, values, `linearRegression(${s.name}, ${from}, ${until})`);
      r.tags.linearRegressions = `${from}, ${until}`;
      out.push(r);
    }
    return out;
  },
});
