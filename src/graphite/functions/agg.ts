/**
 * Shared helpers of the function groups: graphite-web's "safe" row aggregators (§5.3 null rules), the aggFunc
 * names and aliases, xFilesFactor row checks, and interval strings as function arguments (`'5min'`, `'-1d'`).
 */
import { RenderBudget } from "./budget.js";
import { maxOf, minOf, NULL, type Series } from "../series.js";
import { argError } from "./errors.js";

/** A row aggregator over values where NaN is null; returns NaN for "no value". */
export type RowFunc = (row: number[]) => number;

function safe(row: number[]): number[] {
  return row.filter((v) => v === v);
}

const sum: RowFunc = (row) => {
  const s = safe(row);
  return s.length ? s.reduce((a, b) => a + b, 0) : NULL;
};
const average: RowFunc = (row) => {
  const s = safe(row);
  return s.length ? s.reduce((a, b) => a + b, 0) / s.length : NULL;
};
const median: RowFunc = (row) => {
  const s = safe(row).sort((a, b) => a - b);
  if (!s.length) return NULL;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const min: RowFunc = (row) => {
  const s = safe(row);
  return s.length ? minOf(s) : NULL;
};
const max: RowFunc = (row) => {
  const s = safe(row);
  return s.length ? maxOf(s) : NULL;
};
const stddev: RowFunc = (row) => {
  const s = safe(row);
  if (!s.length) return NULL;
  const avg = s.reduce((a, b) => a + b, 0) / s.length;
  let acc = 0;
  for (const v of s) acc += (v - avg) * (v - avg);
  return Math.sqrt(acc / s.length);
};

/** graphite-web's aggFuncs (functions.py), keyed by canonical name. */
export const ROW_FUNCS: Record<string, RowFunc> = {
  average,
  avg_zero: (row) => (row.length ? row.reduce((a, v) => a + (v === v ? v : 0), 0) / row.length : NULL),
  median,
  sum,
  min,
  max,
  diff: (row) => {
    const s = safe(row);
    return s.length ? s.slice(1).reduce((a, b) => a - b, s[0]) : NULL;
  },
  stddev,
  count: (row) => safe(row).length,
  range: (row) => {
    const s = safe(row);
    return s.length ? maxOf(s) - minOf(s) : NULL;
  },
  multiply: (row) => (row.some((v) => v !== v) ? NULL : row.reduce((a, b) => a * b, 1)),
  last: (row) => {
    for (let i = row.length - 1; i >= 0; i--) if (row[i] === row[i]) return row[i];
    return NULL;
  },
};

export const AGG_ALIASES: Record<string, string> = { rangeOf: "range", avg: "average", total: "sum", current: "last" };

/** Every aggFunc name graphite-web accepts, for the `options` of aggFunc parameters. */
export const AGG_FUNC_NAMES = [...Object.keys(ROW_FUNCS), ...Object.keys(AGG_ALIASES)].sort();

/** Resolves an aggFunc name (aliases too); `fn`/`param` name the caller in the error. */
export function getAggFunc(name: string, fn: string, param = "func"): RowFunc {
  const canonical = AGG_ALIASES[name] ?? name;
  const f = ROW_FUNCS[canonical];
  if (!f) throw argError(fn, param, `unsupported aggregation function "${name}" (use one of ${AGG_FUNC_NAMES.join(", ")})`);
  return f;
}

/** graphite-web's `xffValues`: at least one non-null value, and nonNull/len ≥ xff. */
export function xffOk(row: ArrayLike<number>, xff: number | null | undefined): boolean {
  let n = 0;
  for (let i = 0; i < row.length; i++) if (row[i] === row[i]) n++;
  if (n === 0) return false;
  return n / row.length >= (xff ?? 0);
}

/** As {@link xffOk} for a count of non-null values out of a total. */
export function xffCount(nonNull: number, total: number, xff: number | null | undefined): boolean {
  return nonNull > 0 && nonNull / total >= (xff ?? 0);
}

const UNIT_SECONDS: [string, number][] = [
  ["s", 1],
  ["min", 60],
  ["h", 3600],
  ["d", 86400],
  ["w", 604800],
  ["mon", 30 * 86400],
  ["y", 365 * 86400],
];

/**
 * graphite-web's `parseTimeOffset`: an optional sign, then runs of digits and a unit (`s…`, `min…`, `h…`,
 * `d…`, `w…`, `mon…`, `y…`; a month is 30 days, a year 365). Returns signed seconds.
 */
export function parseInterval(text: string, fn: string, param: string): number {
  let s = text.trim();
  if (s === "") return 0;
  let sign = 1;
  if (s[0] === "+" || s[0] === "-") {
    sign = s[0] === "-" ? -1 : 1;
    s = s.slice(1);
  }
  const re = /(\d+)\s*([a-zA-Z]+)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw argError(fn, param, `cannot parse interval "${text}" (use e.g. 30s, 5min, 1h, 2d, 1w, 1mon, 1y)`);
    const unit = m[2].toLowerCase();
    const hit = UNIT_SECONDS.find(([u]) => unit.startsWith(u));
    if (!hit) throw argError(fn, param, `unknown unit "${m[2]}" in interval "${text}" (use s, min, h, d, w, mon, y)`);
    total += Number(m[1]) * hit[1];
    pos = re.lastIndex;
  }
  return sign * total;
}

/** A window given as points (int) or as an interval string, in points and seconds for a series' step. */
export function windowOf(
  window: number | string,
  step: number,
  fn: string,
): { points: number; seconds: number; text: string } {
  if (typeof window === "number") {
    if (window < 0) throw argError(fn, "windowSize", `must be positive, got ${window}`);
    return { points: Math.trunc(window), seconds: Math.trunc(window) * step, text: String(window) };
  }
  const seconds = Math.abs(parseInterval(window, fn, "windowSize"));
  return { points: Math.floor(seconds / step), seconds, text: `"${window}"` };
}

/**
 * The path inside a generated name, as graphite-web's aliasByNode reads it: if the name ends in `)`, the
 * first path-like argument of the innermost-leftmost call; then anything from the first `;` is cut.
 */
export function pathOfName(name: string): string {
  let src = name;
  if (src.endsWith(")")) {
    const m = /(?:^|[(,])\s*([A-Za-z0-9_\-*?[\]{}!:#.~^$@%]+?)\s*(?=[,)])/.exec(src.replace(/"[^"]*"|'[^']*'/g, "''"));
    src = m ? m[1] : src;
  }
  const semi = src.indexOf(";");
  return semi >= 0 ? src.slice(0, semi) : src;
}

/** graphite-web's `getNodeOrTag`: an int is a node of the path (negative from the end), else — or when out of range — a tag. */
export function nodeOrTag(s: Series, n: number | string, path: string): string {
  if (typeof n === "number") {
    const parts = path.split(";")[0].split(".");
    if (n >= -parts.length && n < parts.length) return parts[n < 0 ? parts.length + n : n];
  }
  return s.tags[String(n)] ?? "";
}

/** graphite-web's `aggKey`: the chosen nodes/tags of the name (of its first path when it is a call), joined with `.`. */
export function aggKey(s: Series, nodes: (number | string)[]): string {
  const path = pathOfName(s.name);
  return nodes.map((n) => nodeOrTag(s, n, path)).join(".");
}

/** A `date` argument in unix seconds: the evaluator's parser when set, else epoch / `now` / relative offsets. */
export function dateArg(
  ctx: { now: number; parseTime?: (text: string) => number },
  v: string | number,
  fn: string,
  param: string,
): number {
  if (typeof v === "number") return v;
  if (ctx.parseTime) return ctx.parseTime(v);
  const t = v.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t);
  if (t === "now") return ctx.now;
  const rel = t.startsWith("now") ? t.slice(3) : t;
  if (/^[+-]/.test(rel)) return ctx.now + parseInterval(rel, fn, param);
  throw argError(fn, param, `cannot parse time "${v}" (use unix seconds, now, or an offset such as -1h)`);
}

/**
 * Charges `points` a function is about to make to the request's budget (RENDER_MAX_POINTS), before it
 * allocates them: graphite-web has no bound and will happily allocate `summarize(x, '1s')` over a year
 * for every series of a glob; a user's typo must not take the server down. Without a budget in the
 * context (a function called on its own), the call is bounded alone by the default.
 */
export function checkPoints(ctx: { budget?: RenderBudget }, fn: string, param: string, points: number): void {
  (ctx.budget ?? new RenderBudget()).takeOutput(points, fn, param);
}
