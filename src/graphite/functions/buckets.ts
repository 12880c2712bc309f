/** Bucketing transforms (reference §6.2): summarize, smartSummarize, hitcount, compressPeriodicGaps. */
import { derive, NULL, type Series } from "../series.js";
import { checkPoints, getAggFunc, parseInterval } from "./agg.js";
import { argError } from "./errors.js";
import { opt, req, seriesList } from "./params.js";
import { defineFunction, refetch, type EvalContext } from "./registry.js";

function positiveInterval(text: string, fn: string, param: string): number {
  const v = Math.abs(parseInterval(text, fn, param));
  if (v === 0) throw argError(fn, param, `must not be zero, got "${text}"`);
  return v;
}

/** Charges the buckets of every series' grid [start, end) before any is made (RENDER_MAX_POINTS). */
function chargeBuckets(ctx: EvalContext, fn: string, list: Series[], interval: number, grid: (s: Series) => { start: number; end: number }): void {
  let total = 0;
  for (const s of list) {
    const g = grid(s);
    total += Math.max(0, Math.ceil((g.end - g.start) / interval));
  }
  checkPoints(ctx, fn, "intervalString", total);
}

/** graphite-web's `_summarizeValues`: buckets [b, b+interval) from `start`, func over non-null values. */
function summarizeValues(s: Series, func: string, interval: number, start: number, end: number, fn: string): { values: Float64Array; end: number } {
  const agg = getAggFunc(func, fn);
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
  // Allocated once at the size charged (chargeBuckets), not grown point by point.
  const out = new Float64Array(Math.max(0, Math.ceil((end - start) / interval)));
  let t = start;
  let k = 0;
  for (; t < end; t += interval) {
    const list = buckets.get(t);
    out[k++] = list ? agg(list) : NULL;
  }
  return { values: k === out.length ? out : out.slice(0, k), end: t };
}

defineFunction({
  name: "summarize",
  group: "Transform",
  description: "Buckets of the given interval with func (default sum); epoch-aligned unless alignToFrom.",
  params: [seriesList, req("intervalString", "interval"), opt("func", "aggFunc", "sum"), opt("alignToFrom", "boolean", false)],
  chargesOutput: true,
  impl: (ctx, list: Series[], intervalString: string, func: string, alignToFrom: boolean) => {
    const interval = positiveInterval(intervalString, "summarize", "intervalString");
    getAggFunc(func, "summarize");
    const grid = (s: Series) => {
      const start = alignToFrom ? s.start : s.start - (s.start % interval);
      return { start, end: alignToFrom ? s.end : s.end - (s.end % interval) + interval };
    };
    chargeBuckets(ctx, "summarize", list, interval, grid);
    return list.map((s) => {
      const { start } = grid(s);
      let { end } = grid(s);
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
  chargesOutput: true,
  impl: async (ctx, list: Series[], intervalString: string, func: string, alignTo: string | null) => {
    const interval = positiveInterval(intervalString, "smartSummarize", "intervalString");
    getAggFunc(func, "smartSummarize");
    if (typeof alignTo === "string") {
      const from = alignStart(ctx.from, alignTo);
      list = await refetch(ctx, list, from, ctx.until);
    }
    chargeBuckets(ctx, "smartSummarize", list, interval, (s) => s);
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

defineFunction({
  name: "hitcount",
  group: "Transform",
  description: "Estimates hits per bucket: each value × seconds of overlap; buckets aligned to the end.",
  params: [seriesList, req("intervalString", "interval"), opt("alignToInterval", "boolean", false)],
  chargesOutput: true,
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
    let total = 0;
    for (const s of list) total += Math.ceil((s.end - s.start) / interval);
    checkPoints(ctx, "hitcount", "intervalString", total);
    return list.map((s) => {
      const step = Math.trunc(s.step);
      const count = Math.ceil((s.end - s.start) / interval);
      // Sums in arrival order (Python's sum of the bucket's list, as floats), and whether a bucket got any:
      // two typed arrays rather than a list per bucket, so the points charged are what is allocated.
      const sums = new Float64Array(count);
      const got = new Uint8Array(count);
      const add = (j: number, x: number) => {
        sums[j] += x;
        got[j] = 1;
      };
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
          if (sb >= 0) add(sb, v * (em - sm));
        } else {
          if (sb >= 0) add(sb, v * (interval - sm));
          for (let j = sb + 1; j < eb; j++) if (j >= 0) add(j, v * interval);
          if (em > 0) add(eb, v * em);
        }
      }
      const values = sums;
      for (let j = 0; j < count; j++) if (!got[j]) values[j] = NULL;
      const out = derive(s, values, `hitcount(${s.name}, "${intervalString}"${alignToInterval ? ", true" : ""})`, {
        start: newStart,
        step: interval,
      });
      out.tags.hitcount = intervalString;
      return out;
    });
  },
});

defineFunction({
  name: "compressPeriodicGaps",
  group: "Transform",
  description: "Re-steps a series whose values arrive every k-th point, guessing k.",
  params: [seriesList],
  impl: (_ctx, list: Series[]) => list.map(compressPeriodicGaps),
});

function compressPeriodicGaps(s: Series): Series {
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
}
