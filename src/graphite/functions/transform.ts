/** Transform functions (reference §6.2): per-series value rewrites, derivatives, shifts, buckets. */
import { createSeries, derive, formatD, formatG, maxOf, NULL, pyArg, type ConsolidationFunc, type Series } from "../series.js";
import { checkPoints, dateArg, getAggFunc, parseInterval } from "./agg.js";
import { argError } from "./errors.js";
import { opt, req, seriesList } from "./params.js";
import { defineFunction, type EvalContext, type ParamType } from "./registry.js";

/**
 * Python's `round(v, 6)`: rounds the exact binary value half-to-even at the 6th decimal (JS `toFixed`
 * breaks exact ties upward, so 15.8515625 would give 15.851563 where Python gives 15.851562).
 */
export function round6(v: number): number {
  if (v !== v || v === 0 || !Number.isFinite(v) || Math.abs(v) >= 1e15) return v;
  const exact = Math.abs(v).toFixed(30);
  const dot = exact.indexOf(".");
  const kept = exact.slice(0, dot + 7);
  const rest = exact.slice(dot + 7);
  let up = rest[0] > "5" || (rest[0] === "5" && /[1-9]/.test(rest.slice(1)));
  if (rest[0] === "5" && !/[1-9]/.test(rest.slice(1))) up = Number(kept.at(-1)) % 2 === 1;
  let r = Number(kept);
  if (up) r = Number((r + 1e-6).toFixed(6));
  return v < 0 ? -r : r;
}

function mapValues(s: Series, f: (v: number, i: number) => number): Float64Array {
  const out = new Float64Array(s.values.length);
  for (let i = 0; i < out.length; i++) {
    const v = s.values[i];
    out[i] = v === v ? f(v, i) : NULL;
  }
  return out;
}

function defineMap(
  name: string,
  description: string,
  extra: [string, ParamType][],
  f: (v: number, args: any[]) => number,
  label: (s: Series, args: any[]) => string,
  tag?: (args: any[]) => string,
): void {
  defineFunction({
    name,
    group: "Transform",
    description,
    params: [seriesList, ...extra.map((a) => req(...a))],
    impl: (_ctx, list: Series[], ...args: any[]) =>
      list.map((s) => {
        const out = derive(s, mapValues(s, (v) => f(v, args)), label(s, args));
        out.tags[name] = tag ? tag(args) : "1";
        return out;
      }),
  });
}

/** graphite-web's safePow: a math error or an overflow (Python raises, JS gives ±Infinity) is null. */
const nanIfBad = (v: number): number => (Number.isFinite(v) ? v : NULL);

defineMap("scale", "Multiplies each value by factor.", [["factor", "float"]], (v, [k]) => v * k, (s, [k]) => `scale(${s.name},${formatG(k)})`, ([k]) => pyArg(k));
defineMap("offset", "Adds amount to each value.", [["factor", "float"]], (v, [k]) => v + k, (s, [k]) => `offset(${s.name},${formatG(k)})`, ([k]) => pyArg(k));
defineMap("absolute", "Absolute value of each point.", [], (v) => Math.abs(v), (s) => `absolute(${s.name})`);
defineMap("squareRoot", "Square root of each point; negative values give null.", [], (v) => (v < 0 ? NULL : Math.sqrt(v)), (s) => `squareRoot(${s.name})`);
defineMap("invert", "1/v; 0 gives null.", [], (v) => (v === 0 ? NULL : 1 / v), (s) => `invert(${s.name})`);
defineMap("pow", "v to the power factor; invalid results give null.", [["factor", "float"]], (v, [k]) => nanIfBad(Math.pow(v, k)), (s, [k]) => `pow(${s.name},${formatG(k)})`, ([k]) => pyArg(k));
defineMap("exp", "e to the power v.", [], (v) => Math.exp(v), (s) => `exp(${s.name})`);
defineMap("sigmoid", "1/(1+e^-v).", [], (v) => 1 / (1 + Math.exp(-v)), (s) => `sigmoid(${s.name})`);
defineMap("logit", "log(v/(1−v)); v outside (0,1) gives null.", [], (v) => (v <= 0 || v >= 1 ? NULL : Math.log(v / (1 - v))), (s) => `logit(${s.name})`);

function defineSimple(
  name: string,
  description: string,
  params: ReturnType<typeof req>[],
  fn: (ctx: EvalContext, s: Series, ...args: any[]) => Series,
  group: "Transform" | "Special" = "Transform",
): void {
  defineFunction({
    name,
    group,
    description,
    params: [seriesList, ...params],
    impl: (ctx, list: Series[], ...args: any[]) => list.map((s) => fn(ctx, s, ...args)),
  });
}

defineSimple("isNonNull", "1 for a non-null value, 0 for null.", [], (_c, s) =>
  derive(s, Float64Array.from(s.values, (v) => (v === v ? 1 : 0)), `isNonNull(${s.name})`),
);

defineSimple("scaleToSeconds", "v·seconds/step, rounded to 6 decimals.", [req("seconds", "float")], (_c, s, seconds: number) => {
  const factor = seconds / s.step;
  const out = derive(s, mapValues(s, (v) => round6(v * factor)), `scaleToSeconds(${s.name},${formatD(seconds)})`);
  out.tags.scaleToSeconds = pyArg(seconds);
  return out;
});

defineFunction({
  name: "log",
  group: "Transform",
  description: "Logarithm in the given base (default 10); v ≤ 0 gives null.",
  params: [seriesList, opt("base", "integer", 10, { anyNumber: true })],
  impl: (_ctx, list: Series[], base: number) =>
    list.map((s) => {
      const lb = Math.log(base);
      const out = derive(s, mapValues(s, (v) => (v <= 0 ? NULL : Math.log(v) / lb)), `log(${s.name}, ${pyArg(base)})`);
      out.tags.log = pyArg(base);
      return out;
    }),
});

defineSimple("offsetToZero", "Subtracts the series minimum from every value.", [], (_c, s) => {
  let min = Infinity;
  for (const v of s.values) if (v === v && v < min) min = v;
  return derive(s, mapValues(s, (v) => v - min), `offsetToZero(${s.name})`);
});

defineSimple("minMax", "(v−min)/(max−min), 0 when the range is 0.", [], (_c, s) => {
  let min = Infinity;
  let max = -Infinity;
  for (const v of s.values) {
    if (v !== v) continue;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return derive(s, mapValues(s, (v) => (max - min === 0 ? 0 : (v - min) / (max - min))), `minMax(${s.name})`);
});

defineFunction({
  name: "round",
  group: "Transform",
  description: "Rounds each value to precision digits (default 0).",
  params: [seriesList, opt("precision", "integer", 0, { fallback: null })],
  impl: (_ctx, list: Series[], precision: number | null) =>
    list.map((s) => {
      const p = precision ?? 0;
      const k = Math.pow(10, p);
      const name = precision ? `round(${s.name},${formatG(Math.trunc(precision))})` : `round(${s.name})`;
      return derive(s, mapValues(s, (v) => pyRound(v * k) / k), name);
    }),
});

/** Python 3's round(): ties to even. */
function pyRound(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

defineSimple("derivative", "v[i] − v[i−1]; null if either is null; the first point is null.", [], (_c, s) => {
  const out = new Float64Array(s.values.length);
  let prev = NULL;
  for (let i = 0; i < out.length; i++) {
    const v = s.values[i];
    out[i] = v === v && prev === prev ? v - prev : NULL;
    prev = v;
  }
  const r = derive(s, out, `derivative(${s.name})`);
  r.tags.derivative = "1";
  return r;
});

/** graphite-web's `_nonNegativeDelta` (master: a null value resets the previous one). */
function nonNegativeDeltas(values: Float64Array, maxValue: number | null, minValue: number | null): Float64Array {
  const out = new Float64Array(values.length);
  let prev = NULL;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if ((maxValue !== null && v > maxValue) || (minValue !== null && v < minValue)) {
      out[i] = NULL;
      prev = NULL;
      continue;
    }
    if (v !== v || prev !== prev) out[i] = NULL;
    else if (v >= prev) out[i] = v - prev;
    else if (maxValue !== null) out[i] = maxValue + 1 + v - prev - (minValue ?? 0);
    else if (minValue !== null) out[i] = v - minValue;
    else out[i] = NULL;
    prev = v;
  }
  return out;
}

defineSimple(
  "nonNegativeDerivative",
  "Derivative ignoring decreases (counter wraps handled with maxValue/minValue).",
  [opt("maxValue", "float", null), opt("minValue", "float", null)],
  (_c, s, maxValue: number | null, minValue: number | null) => {
    const r = derive(s, nonNegativeDeltas(s.values, maxValue, minValue), `nonNegativeDerivative(${s.name})`);
    r.tags.nonNegativeDerivative = "1";
    return r;
  },
);

defineSimple(
  "perSecond",
  "nonNegativeDerivative divided by the step, rounded to 6 decimals.",
  [opt("maxValue", "float", null), opt("minValue", "float", null)],
  (_c, s, maxValue: number | null, minValue: number | null) => {
    const d = nonNegativeDeltas(s.values, maxValue, minValue);
    for (let i = 0; i < d.length; i++) d[i] = round6(d[i] / s.step);
    const r = derive(s, d, `perSecond(${s.name})`);
    r.tags.perSecond = "1";
    return r;
  },
);

defineSimple("integral", "Running sum; a null position outputs null and the sum carries on.", [], (_c, s) => {
  let acc = 0;
  const r = derive(s, mapValues(s, (v) => (acc += v)), `integral(${s.name})`);
  r.tags.integral = "1";
  return r;
});

defineSimple(
  "integralByInterval",
  "Running sum reset at every interval boundary counted from the request start.",
  [req("intervalUnit", "string")],
  (ctx, s, unit: string) => {
    const d = Math.abs(parseInterval(unit, "integralByInterval", "intervalUnit"));
    if (d === 0) throw argError("integralByInterval", "intervalUnit", `must not be zero, got "${unit}"`);
    const out = new Float64Array(s.values.length);
    let t = s.start;
    let acc = 0;
    for (let i = 0; i < out.length; i++, t += s.step) {
      if (Math.floor((t - ctx.from) / d) !== Math.floor((t - ctx.from - s.step) / d)) acc = 0;
      const v = s.values[i];
      if (v === v) acc += v;
      out[i] = acc;
    }
    const r = derive(s, out, `integralByInterval(${s.name},'${unit}')`);
    r.tags.integralByInterval = unit;
    return r;
  },
);

defineSimple(
  "keepLastValue",
  "Fills runs of at most limit nulls that follow a value with that value.",
  [opt("limit", "intOrInf", Infinity)],
  (_c, s, limit: number | null) => {
    const lim = limit ?? Infinity;
    const out = Float64Array.from(s.values);
    let nulls = 0;
    let last = NULL;
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      if (v !== v) nulls++;
      else {
        if (nulls > 0 && nulls <= lim && last === last) out.fill(last, i - nulls, i);
        nulls = 0;
        last = v;
      }
    }
    if (nulls > 0 && nulls <= lim && last === last) out.fill(last, out.length - nulls);
    return derive(s, out, `keepLastValue(${s.name})`);
  },
);

defineSimple(
  "interpolate",
  "Linear fill of interior gaps of at most limit nulls.",
  [opt("limit", "intOrInf", Infinity)],
  (_c, s, limit: number | null) => {
    const lim = limit ?? Infinity;
    const out = Float64Array.from(s.values);
    let lastIdx = -1;
    for (let i = 0; i < out.length; i++) {
      if (out[i] !== out[i]) continue;
      const gap = i - lastIdx - 1;
      if (lastIdx >= 0 && gap > 0 && gap <= lim) {
        const a = out[lastIdx];
        const stepV = (out[i] - a) / (gap + 1);
        for (let k = 1; k <= gap; k++) out[lastIdx + k] = a + stepV * k;
      }
      lastIdx = i;
    }
    return derive(s, out, `interpolate(${s.name})`);
  },
);

defineFunction({
  name: "transformNull",
  group: "Transform",
  description: "Replaces null with default (0); with referenceSeries only where some reference is non-null.",
  params: [seriesList, opt("default", "float", 0), opt("referenceSeries", "seriesList", null)],
  impl: (_ctx, list: Series[], def: number, ref: Series[] | null) => {
    let mask: boolean[] | null = null;
    if (ref && ref.length) {
      const len = maxOf(ref.map((r) => r.values.length));
      mask = [];
      for (let i = 0; i < len; i++) mask.push(ref.some((r) => i < r.values.length && r.values[i] === r.values[i]));
    }
    return list.map((s) => {
      const out = Float64Array.from(s.values, (v, i) => (v === v ? v : mask === null || mask[i] ? def : NULL));
      const name = mask ? `transformNull(${s.name},${formatG(def)},referenceSeries)` : `transformNull(${s.name},${formatG(def)})`;
      const r = derive(s, out, name);
      r.tags.transformNull = pyArg(def);
      if (mask) r.tags.referenceSeries = "1";
      return r;
    });
  },
});

defineSimple("changed", "1 where a value differs from the previous non-null value, else 0.", [], (_c, s) => {
  const out = new Float64Array(s.values.length);
  let prev = NULL;
  for (let i = 0; i < out.length; i++) {
    const v = s.values[i];
    if (prev !== prev) {
      prev = v;
      out[i] = 0;
    } else if (v === v && v !== prev) {
      out[i] = 1;
      prev = v;
    } else out[i] = 0;
  }
  return derive(s, out, `changed(${s.name})`);
}, "Special");

defineSimple("delay", "Shifts values by steps positions, padding with null; timestamps stay.", [req("steps", "integer")], (_c, s, steps: number) => {
  const n = s.values.length;
  const out = new Float64Array(n).fill(NULL);
  for (let i = 0; i < n; i++) {
    const j = i - steps;
    if (j >= 0 && j < n) out[i] = s.values[j];
  }
  const r = derive(s, out, `delay(${s.name},${formatD(steps)})`);
  r.tags.delay = String(steps);
  return r;
});

const CONSOLIDATIONS: ConsolidationFunc[] = ["sum", "average", "avg_zero", "min", "max", "first", "last", "median"];

export function setConsolidation(list: Series[], func: string): Series[] {
  const canonical = func === "avg" ? "average" : func;
  if (!CONSOLIDATIONS.includes(canonical as ConsolidationFunc)) {
    throw argError("consolidateBy", "consolidationFunc", `must be one of ${CONSOLIDATIONS.join(", ")}, got "${func}"`);
  }
  return list.map((s) => {
    const r = derive(s, s.values, `consolidateBy(${s.name},"${func}")`);
    r.consolidationFunc = canonical as ConsolidationFunc;
    r.tags.consolidateBy = func;
    return r;
  });
}

defineFunction({
  name: "consolidateBy",
  group: "Special",
  description: "Sets the function maxDataPoints consolidation and normalize use.",
  params: [seriesList, req("consolidationFunc", "string", { options: ["sum", "average", "avg", "avg_zero", "min", "max", "first", "last", "median"] })],
  impl: (_ctx, list: Series[], func: string) => setConsolidation(list, func),
});

defineFunction({
  name: "cumulative",
  group: "Special",
  description: "The same as consolidateBy(seriesList, 'sum').",
  params: [seriesList],
  impl: (_ctx, list: Series[]) => setConsolidation(list, "sum"),
});

function positiveInterval(text: string, fn: string, param: string): number {
  const v = Math.abs(parseInterval(text, fn, param));
  if (v === 0) throw argError(fn, param, `must not be zero, got "${text}"`);
  return v;
}

/** graphite-web's `_summarizeValues`: buckets [b, b+interval) from `start`, func over non-null values. */
function summarizeValues(s: Series, func: string, interval: number, start: number, end: number, fn: string): { values: Float64Array; end: number } {
  const agg = getAggFunc(func, fn);
  checkPoints(fn, "intervalString", (end - start) / interval);
  const buckets = new Map<number, number[]>();
  for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i];
    if (v !== v) continue;
    const t = s.start + i * s.step;
    const b = t - ((t - start) % interval + interval) % interval;
    const list = buckets.get(b);
    if (list) list.push(v);
    else buckets.set(b, [v]);
  }
  const out: number[] = [];
  let t = start;
  for (; t < end; t += interval) {
    const list = buckets.get(t);
    out.push(list ? agg(list) : NULL);
  }
  return { values: Float64Array.from(out), end: t };
}

defineFunction({
  name: "summarize",
  group: "Transform",
  description: "Buckets of the given interval with func (default sum); epoch-aligned unless alignToFrom.",
  params: [seriesList, req("intervalString", "interval"), opt("func", "aggFunc", "sum"), opt("alignToFrom", "boolean", false)],
  impl: (_ctx, list: Series[], intervalString: string, func: string, alignToFrom: boolean) => {
    const interval = positiveInterval(intervalString, "summarize", "intervalString");
    getAggFunc(func, "summarize");
    return list.map((s) => {
      const start = alignToFrom ? s.start : s.start - (s.start % interval);
      let end = alignToFrom ? s.end : s.end - (s.end % interval) + interval;
      const r = summarizeValues(s, func, interval, start, end, "summarize");
      if (alignToFrom) end = r.end;
      const out = derive(s, r.values, `summarize(${s.name}, "${intervalString}", "${func}"${alignToFrom ? ", true" : ""})`, {
        start,
        end,
        step: interval,
      });
      out.tags.summarize = intervalString;
      out.tags.summarizeFunction = func;
      return out;
    });
  },
});

defineFunction({
  name: "smartSummarize",
  group: "Transform",
  description: "summarize with buckets aligned to the series start (alignTo re-fetches aligned to a unit).",
  params: [seriesList, req("intervalString", "interval"), opt("func", "aggFunc", "sum"), opt("alignTo", "string", null)],
  impl: async (ctx, list: Series[], intervalString: string, func: string, alignTo: string | null) => {
    const interval = positiveInterval(intervalString, "smartSummarize", "intervalString");
    getAggFunc(func, "smartSummarize");
    if (typeof alignTo === "string") {
      const from = alignStart(ctx.from, alignTo);
      list = await refetch(ctx, list, from, ctx.until);
    }
    return list.map((s) => {
      const r = summarizeValues(s, func, interval, s.start, s.end, "smartSummarize");
      const out = derive(s, r.values, `smartSummarize(${s.name}, "${intervalString}", "${func}")`, { end: r.end, step: interval });
      out.tags.smartSummarize = intervalString;
      out.tags.smartSummarizeFunction = func;
      return out;
    });
  },
});

/** Truncates a UTC time to the start of a unit (`1d`, `h`, `min`, `w[1-7]`, `mon`, `y`), as smartSummarize's alignTo. */
function alignStart(t: number, unit: string): number {
  const unitText = unit;
  const d = new Date(t * 1000);
  const Y = d.getUTCFullYear();
  const M = d.getUTCMonth();
  const sec = (ms: number) => Math.floor(ms / 1000);
  if (unit.startsWith("s")) return t;
  if (unit.startsWith("min")) return t - (t % 60);
  if (unit.startsWith("h")) return t - (t % 3600);
  if (unit.startsWith("d")) return t - (t % 86400);
  if (unit.startsWith("w")) {
    const want = /[0-9]$/.test(unit) ? Number(unit.at(-1)) : 1;
    const iso = d.getUTCDay() === 0 ? 7 : d.getUTCDay();
    let back = iso - want;
    if (back < 0) back += 7;
    return t - (t % 86400) - back * 86400;
  }
  if (unit.startsWith("mon")) return sec(Date.UTC(Y, M, 1));
  if (unit.startsWith("y")) return sec(Date.UTC(Y, 0, 1));
  throw argError("smartSummarize", "alignTo", `unknown unit "${unitText}" (use a unit such as seconds, minutes, hours, days, weeks, months, years)`);
}

/**
 * Re-evaluates the first argument over [from, until]: the evaluator's `refetch` when it set one, else each
 * input's unique pathExpression through `fetch`.
 */
export async function refetch(ctx: EvalContext, list: Series[], from: number, until: number): Promise<Series[]> {
  if (ctx.refetch) return ctx.refetch(from, until);
  const out: Series[] = [];
  for (const expr of new Set(list.map((s) => s.pathExpression))) out.push(...(await ctx.fetch(expr, from, until)));
  return out;
}

defineFunction({
  name: "hitcount",
  group: "Transform",
  description: "Estimates hits per bucket: each value × seconds of overlap; buckets aligned to the end.",
  params: [seriesList, req("intervalString", "interval"), opt("alignToInterval", "boolean", false)],
  impl: async (ctx, list: Series[], intervalString: string, alignToInterval: boolean) => {
    const interval = Math.trunc(positiveInterval(intervalString, "hitcount", "intervalString"));
    if (alignToInterval) {
      let from = ctx.from;
      if (interval >= 86400) from -= from % 86400;
      else if (interval >= 3600) from -= from % 3600;
      else if (interval >= 60) from -= from % 60;
      list = (await refetch(ctx, list, from, ctx.until)).map((s) => ({
        ...s,
        end: s.start + Math.floor((s.end - s.start) / interval) * interval + interval,
      }));
    }
    return list.map((s) => {
      const step = Math.trunc(s.step);
      const count = Math.ceil((s.end - s.start) / interval);
      checkPoints("hitcount", "intervalString", count);
      const buckets: number[][] = Array.from({ length: count }, () => []);
      const newStart = Math.trunc(s.end - count * interval);
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i];
        if (v !== v) continue;
        const t0 = Math.trunc(s.start + i * step);
        const sb = Math.floor((t0 - newStart) / interval);
        const sm = t0 - newStart - sb * interval;
        let eb = Math.floor((t0 + step - newStart) / interval);
        let em = t0 + step - newStart - eb * interval;
        if (eb >= count) {
          eb = count - 1;
          em = interval;
        }
        if (sb === eb) {
          if (sb >= 0) buckets[sb].push(v * (em - sm));
        } else {
          if (sb >= 0) buckets[sb].push(v * (interval - sm));
          for (let j = sb + 1; j < eb; j++) if (j >= 0) buckets[j].push(v * interval);
          if (em > 0) buckets[eb].push(v * em);
        }
      }
      const values = Float64Array.from(buckets, (b) => (b.length ? b.reduce((a, x) => a + x, 0) : NULL));
      const out = derive(s, values, `hitcount(${s.name}, "${intervalString}"${alignToInterval ? ", true" : ""})`, {
        start: newStart,
        step: interval,
      });
      out.tags.hitcount = intervalString;
      return out;
    });
  },
});

/** `'1d'` → `'-1d'`: a shift with no sign means the past. */
function signedShift(text: string): string {
  return /^[0-9]/.test(text) ? `-${text}` : text;
}

defineFunction({
  name: "timeShift",
  group: "Transform",
  description: "Re-fetches the series shifted in time (no sign means the past) and re-bases it to the original start.",
  params: [seriesList, req("timeShift", "interval"), opt("resetEnd", "boolean", true), opt("alignDst", "boolean", false, { argName: "alignDST" })],
  impl: async (ctx, list: Series[], shiftText: string, resetEnd: boolean) => {
    if (list.length === 0) return [];
    const shift = signedShift(shiftText);
    const delta = parseInterval(shift, "timeShift", "timeShift");
    const first = list[0];
    return (await refetch(ctx, list, ctx.from + delta, ctx.until + delta)).map((s) => {
      const out = derive(s, s.values, `timeShift(${s.name}, "${shift}")`, {
        keepPath: true,
        start: first.start,
        end: resetEnd === false ? s.end - s.start + first.start : first.end,
      });
      out.tags.timeShift = shift;
      return out;
    });
  },
});

defineFunction({
  name: "timeStack",
  group: "Transform",
  description: "timeShift by unit×k for k in [start, end), all in one list.",
  params: [seriesList, opt("timeShiftUnit", "interval", "1d"), opt("timeShiftStart", "integer", 0), opt("timeShiftEnd", "integer", 7)],
  impl: async (ctx, list: Series[], unitText: string, from: number, to: number) => {
    if (list.length === 0) return [];
    const unit = signedShift(unitText);
    const delta = parseInterval(unit, "timeStack", "timeShiftUnit");
    const first = list[0];
    const out: Series[] = [];
    for (let k = Math.trunc(from); k < Math.trunc(to); k++) {
      for (const s of await refetch(ctx, list, ctx.from + delta * k, ctx.until + delta * k)) {
        const r = derive(s, s.values, `timeShift(${s.name}, ${unit}, ${k})`, { start: first.start, end: first.end });
        r.tags.timeShiftUnit = unit;
        r.tags.timeShift = String(k);
        out.push(r);
      }
    }
    return out;
  },
});

defineSimple("add", "Adds constant to each value.", [req("constant", "float")], (_c, s, k: number) => {
  const r = derive(s, mapValues(s, (v) => v + k), `add(${s.name},${formatD(k)})`);
  r.tags.add = pyArg(k);
  return r;
});

function generated(ctx: EvalContext, fn: string, name: string, step: number, f: (t: number) => number): Series {
  checkPoints(fn, "step", (ctx.until - ctx.from) / step);
  const values: number[] = [];
  for (let t = ctx.from; t < ctx.until; t += step) values.push(f(t));
  return { ...createSeries({ name, start: ctx.from, end: ctx.until, step, values }), xFilesFactor: ctx.xFilesFactor ?? 0 };
}

defineFunction({
  name: "sinFunction",
  aliases: ["sin"],
  group: "Transform",
  description: "sin(t)·amplitude over the request range.",
  params: [req("name", "string"), opt("amplitude", "integer", 1), opt("step", "integer", 60)],
  impl: (ctx, name: string, amplitude: number, step: number) => {
    if (step <= 0) throw argError("sinFunction", "step", `must be positive, got ${step}`);
    return [generated(ctx, "sinFunction", name, step, (t) => Math.sin(t) * amplitude)];
  },
});

defineFunction({
  name: "timeFunction",
  aliases: ["time"],
  group: "Transform",
  description: "The timestamp itself as the value, over the request range.",
  params: [req("name", "string"), opt("step", "integer", 60)],
  impl: (ctx, name: string, step: number) => {
    if (step <= 0) throw argError("timeFunction", "step", `must be positive, got ${step}`);
    return [generated(ctx, "timeFunction", name, step, (t) => t)];
  },
});

defineFunction({
  name: "randomWalkFunction",
  aliases: ["randomWalk"],
  group: "Special",
  description: "A random walk from 0 over the request range.",
  params: [req("name", "string"), opt("step", "integer", 60)],
  impl: (ctx, name: string, step: number) => {
    if (step <= 0) throw argError("randomWalkFunction", "step", `must be positive, got ${step}`);
    let current = 0;
    return [
      generated(ctx, "randomWalkFunction", name, step, () => {
        const v = current;
        current += Math.random() - 0.5;
        return v;
      }),
    ];
  },
});

defineFunction({
  name: "timeSlice",
  group: "Transform",
  description: "Values outside [startSliceAt, endSliceAt] become null.",
  params: [seriesList, req("startSliceAt", "date"), opt("endSliceAt", "date", "now")],
  impl: (ctx, list: Series[], startAt: string | number, endAt: string | number) => {
    const start = Math.trunc(dateArg(ctx, startAt, "timeSlice", "startSliceAt"));
    const end = Math.trunc(dateArg(ctx, endAt, "timeSlice", "endSliceAt"));
    return list.map((s) => {
      // graphite-web counts from the request start, not the series start.
      const values = Float64Array.from(s.values, (v, i) => {
        const t = ctx.from + i * s.step;
        return t < start || t > end ? NULL : v;
      });
      const r = derive(s, values, `timeSlice(${s.name}, ${start}, ${end})`, { keepPath: true });
      r.tags.timeSliceStart = String(start);
      r.tags.timeSliceEnd = String(end);
      return r;
    });
  },
});

defineSimple("compressPeriodicGaps", "Re-steps a series whose values arrive every k-th point, guessing k.", [], (_c, s) => {
  const name = `compressPeriodicGaps(${s.name})`;
  let first = 0;
  let second = 0;
  for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i];
    if (v === v && v !== 0) {
      if (first > 0) {
        second = i;
        break;
      }
      first = i;
    }
  }
  const guess = second - first;
  const third = second + guess;
  let interval = 0;
  if (guess > 1 && third <= s.values.length - 2) {
    const v = s.values[third];
    if (v === v && v !== 0 && s.values[third - 1] !== s.values[third - 1] && s.values[third + 1] !== s.values[third + 1]) {
      interval = guess * s.step;
    }
  }
  if (!interval) return derive(s, s.values, name);
  const start = s.start + first * s.step;
  const r = summarizeValues(s, "last", interval, start, s.end, "compressPeriodicGaps");
  return derive(s, r.values, name, { start, end: start + interval * (r.values.length - 1), step: interval });
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
