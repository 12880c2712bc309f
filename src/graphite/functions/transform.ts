/** Transform functions (reference §6.2): per-series value rewrites, derivatives, running sums, null filling. */
import { derive, formatD, formatG, maxOf, NULL, pyArg, pyFloat, round6, type Series } from "../series.js";
import { parseInterval } from "./agg.js";
import { argError } from "./errors.js";
import { opt, req, seriesList } from "./params.js";
import { defineFunction, type EvalContext, type ParamType } from "./registry.js";

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
// graphite-web tags these three with a word, not 1.
defineMap("exp", "e to the power v.", [], (v) => Math.exp(v), (s) => `exp(${s.name})`, () => "e");
defineMap("sigmoid", "1/(1+e^-v).", [], (v) => 1 / (1 + Math.exp(-v)), (s) => `sigmoid(${s.name})`, () => "sigmoid");
defineMap("logit", "log(v/(1−v)); v outside (0,1) gives null.", [], (v) => (v <= 0 || v >= 1 ? NULL : Math.log(v / (1 - v))), (s) => `logit(${s.name})`, () => "logit");

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

defineSimple("isNonNull", "1 for a non-null value, 0 for null.", [], (_c, s) => {
  const r = derive(s, Float64Array.from(s.values, (v) => (v === v ? 1 : 0)), `isNonNull(${s.name})`);
  r.tags.isNonNull = "1";
  return r;
});

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
  const r = derive(s, mapValues(s, (v) => v - min), `offsetToZero(${s.name})`);
  // str() of graphite-web's safeMin: a stored value is a float; None when every value is null.
  r.tags.offsetToZero = min === Infinity ? "None" : pyFloat(min);
  return r;
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
      const r = derive(s, mapValues(s, (v) => pyRound(v * k) / k), name);
      r.tags.round = pyArg(precision || 0);
      return r;
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

defineSimple("add", "Adds constant to each value.", [req("constant", "float")], (_c, s, k: number) => {
  const r = derive(s, mapValues(s, (v) => v + k), `add(${s.name},${formatD(k)})`);
  r.tags.add = pyArg(k);
  return r;
});
