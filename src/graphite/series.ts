/**
 * The Graphite series model (reference §5.1), graphite-web's number formatting inside generated names (§5.2)
 * and the multi-series alignment `normalize` (§5.3).
 *
 * Values are a `Float64Array` with NaN standing for null (Python's `None`). Why: every render function walks
 * values in tight loops; a typed array keeps them unboxed and contiguous, and NaN propagates through
 * arithmetic the way graphite-web's "None in, None out" rule wants, so most transforms need no null test at
 * all. A computed NaN (0/0) is written as `null` in JSON by graphite-web too, so nothing is lost by the
 * identification. ±Infinity stays representable.
 */
import type { TypeName } from "../timeseries/store.js";

/** Consolidation functions accepted by `consolidateBy` and used by maxDataPoints and normalize. */
export type ConsolidationFunc = "average" | "avg_zero" | "sum" | "min" | "max" | "first" | "last" | "median";

export interface Series {
  /** The name shown as `target`. */
  name: string;
  /** Tag values are always strings. */
  tags: Record<string, string>;
  /** First timestamp (unix seconds). */
  start: number;
  /** Last timestamp bound: points are at start, start+step, … up to end. */
  end: number;
  step: number;
  /** One value per step; NaN is null. */
  values: Float64Array;
  /** The expression the series came from (as typed), or the generated name after most transforms. */
  pathExpression: string;
  consolidationFunc: ConsolidationFunc;
  valuesPerPoint: number;
  /** Share of non-null values a consolidated bucket needs; graphite-web's request default is 0. */
  xFilesFactor: number;
  /** Graph-only options set by color, dashed, lineWidth, stacked, secondYAxis, … (do not change the data). */
  options?: Record<string, string | number | boolean>;
  /** Set on series read from a store (see SeriesOrigin); absent on computed series. */
  origin?: SeriesOrigin;
}

/** Where a fetched series came from: set by the evaluator on series read from a store, lost by any function that makes new series. */
export interface SeriesOrigin {
  readonly schema: string;
  readonly interval: string;
  readonly name: string;
  readonly type: TypeName;
}

/** The null of the value arrays. */
export const NULL = Number.NaN;

export function isNull(v: number): boolean {
  return v !== v;
}

export interface SeriesInit {
  name: string;
  start: number;
  end?: number;
  step: number;
  values: ArrayLike<number | null> | Float64Array;
  pathExpression?: string;
  tags?: Record<string, string>;
  consolidationFunc?: ConsolidationFunc;
  xFilesFactor?: number;
  valuesPerPoint?: number;
}

/** Builds a series; `null` entries become NaN; `end` defaults to `start + len*step` as graphite-web's fetch gives. */
export function createSeries(init: SeriesInit): Series {
  const values =
    init.values instanceof Float64Array ? init.values : Float64Array.from(init.values, (v) => (v === null ? NULL : v));
  return {
    name: init.name,
    tags: init.tags ?? parseTags(init.name),
    start: init.start,
    end: init.end ?? init.start + values.length * init.step,
    step: init.step,
    values,
    pathExpression: init.pathExpression ?? init.name,
    consolidationFunc: init.consolidationFunc ?? "average",
    valuesPerPoint: init.valuesPerPoint ?? 1,
    xFilesFactor: init.xFilesFactor ?? 0,
  };
}

/** graphite-web's tags of a name: `{name}` for a plain path, parsed `;k=v` pairs for a tagged one. */
export function parseTags(name: string): Record<string, string> {
  const i = name.indexOf(";");
  if (i < 0) return { name };
  const tags: Record<string, string> = {};
  for (const part of name.slice(i + 1).split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) tags[part.slice(0, eq)] = part.slice(eq + 1);
  }
  // Last, as graphite-web's TaggedSeries.parse adds it: render JSON lists the tags in this order.
  tags.name = name.slice(0, i);
  return tags;
}

/**
 * A copy of `s` with new values and, when given, a new name. Like graphite-web's transforms, a renamed series
 * gets `pathExpression = name`; pass `keepPath` for the few that keep it (timeShift, aliases).
 */
export function derive(
  s: Series,
  values: Float64Array,
  name?: string,
  opts: { keepPath?: boolean; tags?: Record<string, string>; start?: number; end?: number; step?: number } = {},
): Series {
  const out: Series = {
    ...s,
    values,
    tags: opts.tags ?? { ...s.tags },
    start: opts.start ?? s.start,
    end: opts.end ?? s.end,
    step: opts.step ?? s.step,
    options: s.options ? { ...s.options } : undefined,
  };
  if (out.options === undefined) delete out.options;
  if (name !== undefined) {
    out.name = name;
    if (!opts.keepPath) out.pathExpression = name;
  }
  return out;
}

/** Renames a series (and its pathExpression), adding `tags[tag]=value` like graphite-web's `series.tags`. */
export function renamed(s: Series, name: string, tag?: [string, string]): Series {
  const out = derive(s, s.values, name);
  if (tag) out.tags[tag[0]] = tag[1];
  return out;
}

/**
 * graphite-web's `TimeSeries.datapoints()`: each value paired with `start, start+step, …` up to `end`
 * inclusive; the shorter of the two decides the length. Values here are always materialised (a
 * consolidated series has `step` = vpp·step already), so no valuesPerPoint factor applies. NaN is null.
 */
export function datapoints(s: Series): [number | null, number][] {
  const out: [number | null, number][] = [];
  for (let i = 0, t = s.start; i < s.values.length && t <= s.end; i++, t += s.step) {
    const v = s.values[i];
    out.push([v !== v ? null : v, t]);
  }
  return out;
}

/**
 * Smallest and largest of many numbers without `Math.min(...xs)`, whose argument spread overflows the
 * stack for the 100,000-series lists a wide glob can give.
 */
export function minOf(xs: Iterable<number>): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}

export function maxOf(xs: Iterable<number>): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}

/** The non-null values of a series, in order. */
export function nonNull(values: Float64Array): number[] {
  const out: number[] = [];
  for (const v of values) if (v === v) out.push(v);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Number formatting (§5.2)

/** Python's `'%g' % v`: 6 significant digits, trailing zeros stripped, exponent form when exp < -4 or ≥ 6. */
export function formatG(v: number, precision = 6): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const [mant, expText] = v.toExponential(precision - 1).split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= precision) {
    const m = stripZeros(mant);
    return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return stripZeros(v.toFixed(Math.max(0, precision - 1 - exp)));
}

function stripZeros(s: string): string {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/**
 * Python's `repr(float)` / `str(float)`: the shortest round-trip digits, always with a `.0` or an exponent,
 * exponent form when exp < -4 or ≥ 16 (`100.0`, `0.5`, `1e+16`, `1e-05`, `inf`).
 */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const [mant, expText] = v.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const digits = mant.replace("-", "").replace(".", "");
  const sign = v < 0 ? "-" : "";
  if (exp >= 0) {
    const intLen = exp + 1;
    if (digits.length <= intLen) return `${sign}${digits.padEnd(intLen, "0")}.0`;
    return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  }
  return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
}

/**
 * An argument printed as graphite-web's `%s` of the evaluated Python value: an int plainly, a float as `repr`.
 * Our evaluated numbers do not carry int-ness, so an integral number prints as an int (`movingAverage(x,3)`),
 * which is what a user typing `3` gets from graphite-web.
 */
export function pyArg(v: number | string | boolean | null): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "string") return v;
  return Number.isInteger(v) ? String(v) : pyFloat(v);
}

/**
 * Python's `'%.Nf' % v`: the exact binary value rounded half-to-even at N decimals (JS `toFixed` breaks
 * exact ties upward: `(0.125).toFixed(2)` is "0.13" where Python prints "0.12").
 */
export function formatF(v: number, digits: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  // Doubles this large are integers; toFixed would switch to exponent form, Python prints every digit.
  if (Math.abs(v) >= 1e21) return BigInt(v).toString() + (digits > 0 ? `.${"0".repeat(digits)}` : "");
  const exact = Math.abs(v).toFixed(Math.min(100, digits + 60));
  const dot = exact.indexOf(".");
  const rest = exact.slice(dot + 1 + digits);
  const tie = rest[0] === "5" && !/[1-9]/.test(rest.slice(1));
  const kept = exact.slice(0, digits === 0 ? dot : dot + 1 + digits);
  const lastDigit = Number(kept.replace(".", "").at(-1));
  const up = tie ? lastDigit % 2 === 1 : rest[0] > "5" || (rest[0] === "5" && !tie);
  let out = kept;
  if (up) {
    const scaled = BigInt(kept.replace(".", "")) + 1n;
    const text = scaled.toString().padStart(digits + 1, "0");
    out = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  }
  const negative = v < 0 || Object.is(v, -0);
  return negative ? `-${out}` : out;
}

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

/** Python's `int()` of a float as `%d` prints it (truncation toward zero). */
export function formatD(v: number): string {
  return String(Math.trunc(v));
}

// ---------------------------------------------------------------------------------------------------------
// normalize (§5.3)

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function lcm(a: number, b: number): number {
  if (a === b) return a;
  if (a < b) [a, b] = [b, a];
  return (a / gcd(a, b)) * b;
}

/**
 * Consolidates `values` in runs of `n` from the first point with `func` over the non-null values (used by
 * normalize and by maxDataPoints). The last run may be partial. A run gives null when it has no value or
 * when nonNull/n < xff.
 */
export function consolidateRuns(values: Float64Array, n: number, func: ConsolidationFunc, xff = 0): Float64Array {
  if (n <= 1) return values;
  const out = new Float64Array(Math.ceil(values.length / n));
  for (let k = 0; k < out.length; k++) {
    const run = values.subarray(k * n, Math.min(values.length, (k + 1) * n));
    out[k] = consolidateRun(run, n, func, xff);
  }
  return out;
}

function consolidateRun(run: Float64Array, n: number, func: ConsolidationFunc, xff: number): number {
  let count = 0;
  for (const v of run) if (v === v) count++;
  if (count === 0 || count / n < xff) return NULL;
  let acc: number;
  switch (func) {
    case "sum":
    case "average":
    case "avg_zero":
      acc = 0;
      for (const v of run) if (v === v) acc += v;
      if (func === "average") return acc / count;
      if (func === "avg_zero") return acc / run.length;
      return acc;
    case "min":
      acc = Infinity;
      for (const v of run) if (v === v && v < acc) acc = v;
      return acc;
    case "max":
      acc = -Infinity;
      for (const v of run) if (v === v && v > acc) acc = v;
      return acc;
    case "first":
      for (const v of run) if (v === v) return v;
      return NULL;
    case "last":
      for (let i = run.length - 1; i >= 0; i--) if (run[i] === run[i]) return run[i];
      return NULL;
    case "median": {
      const sorted = Array.from(run).filter((v) => v === v).sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
  }
}

/** The result of {@link normalize}: the common grid and each input's values on it (padded with null). */
export interface Normalized {
  start: number;
  end: number;
  step: number;
  /** rows[i] is the value array of input i, all of length `length`. */
  columns: Float64Array[];
  length: number;
}

/**
 * graphite-web's `normalize([seriesList])`: step = lcm of the steps; each series consolidated by
 * step/ownStep with its own consolidationFunc (grouped from its own first point); start = min(starts);
 * end = max(ends) − ((end − start) % step). Rows are then zipped **by position** and shorter series padded
 * with null at the end, exactly as graphite-web's `izip_longest` does (so series with different starts are
 * combined point by point, not timestamp by timestamp — a graphite-web quirk kept for equal answers).
 */
export function normalize(series: Series[]): Normalized {
  if (series.length === 0) return { start: 0, end: 0, step: 1, columns: [], length: 0 };
  let step = series[0].step;
  let start = series[0].start;
  let end = series[0].end;
  for (const s of series) {
    step = lcm(step, s.step);
    start = Math.min(start, s.start);
    end = Math.max(end, s.end);
  }
  end -= (end - start) % step;
  const consolidated = series.map((s) => consolidateRuns(s.values, step / s.step, s.consolidationFunc, s.xFilesFactor));
  let length = 0;
  for (const v of consolidated) length = Math.max(length, v.length);
  const columns = consolidated.map((v) => {
    if (v.length === length) return v;
    const padded = new Float64Array(length).fill(NULL);
    padded.set(v);
    return padded;
  });
  return { start, end, step, columns, length };
}

/** The unique pathExpressions of a list, in first-seen order, joined with `,` (aggregate names, §5.1). */
export function joinPathExpressions(series: Series[]): string {
  return [...new Set(series.map((s) => s.pathExpression))].join(",");
}

/** Tags common to every series (graphite-web's aggregate tags), before `aggregatedBy` is added. */
export function commonTags(series: Series[]): Record<string, string> {
  if (series.length === 0) return {};
  const out: Record<string, string> = { ...series[0].tags };
  for (const s of series.slice(1)) {
    for (const k of Object.keys(out)) if (s.tags[k] !== out[k]) delete out[k];
  }
  return out;
}
