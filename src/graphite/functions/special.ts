/** Special and Graph functions: constant lines, thresholds, and graph-only options that leave the data alone. */
import { createSeries, derive, formatF, formatG, maxOf, minOf, pyArg, pyFloat, type ConsolidationFunc, type Series } from "../series.js";
import { checkPoints, dateArg, getAggFunc } from "./agg.js";
import { argError } from "./errors.js";
import { formatUnits } from "./alias.js";
import { constantLineSeries } from "./combine.js";
import { opt, req, seriesList } from "./params.js";
import { defineFunction } from "./registry.js";

defineFunction({
  name: "constantLine",
  group: "Special",
  description: "A horizontal line at value: 3 points at from, from+s, from+2s with s = floor((until−from)/2).",
  params: [req("value", "float")],
  impl: (ctx, value: number) => {
    const s = constantLineSeries(ctx, value);
    s.pathExpression = `constantLine(${pyFloat(value)})`;
    s.xFilesFactor = ctx.xFilesFactor ?? 0;
    return [s];
  },
});

defineFunction({
  name: "threshold",
  group: "Graph",
  description: "A constant line at value, optionally labelled and coloured.",
  params: [req("value", "float"), opt("label", "string", null), opt("color", "string", null)],
  impl: (ctx, value: number, label: string | null, color: string | null) => {
    const s = constantLineSeries(ctx, value);
    s.pathExpression = `constantLine(${pyFloat(value)})`;
    if (label) s.name = label;
    if (color) s.options = { color };
    return [s];
  },
});

/** A graph option: the data and the name stay (unless `rename`), `options[key]` is set. */
function defineOption(name: string, params: ReturnType<typeof req>[], apply: (s: Series, ...a: any[]) => Series): void {
  defineFunction({
    name,
    group: "Graph",
    description: `Graph option ${name}; the data does not change.`,
    params: [seriesList, ...params],
    impl: (_ctx, list: Series[], ...args: any[]) => list.map((s) => apply(s, ...args)),
  });
}

/** Sets `options[key]`; with `tag`, also graphite-web's `tags[key]` (secondYAxis, dashed, drawAsInfinite). */
const withOption = (s: Series, key: string, value: string | number | boolean, name?: string, tag?: string): Series => {
  const r = derive(s, s.values, name, { keepPath: true });
  r.options = { ...(r.options ?? {}), [key]: value };
  if (tag !== undefined) r.tags[key] = tag;
  return r;
};

defineOption("color", [req("theColor", "string")], (s, c: string) => withOption(s, "color", c));
defineOption("lineWidth", [req("width", "float")], (s, w: number) => withOption(s, "lineWidth", w));
defineOption("secondYAxis", [], (s) => withOption(s, "secondYAxis", true, `secondYAxis(${s.name})`, "1"));
defineOption("dashed", [opt("dashLength", "integer", 5, { anyNumber: true })], (s, d: number) => withOption(s, "dashed", d, `dashed(${s.name}, ${formatG(d)})`, pyArg(d)));
defineOption("drawAsInfinite", [], (s) => withOption(s, "drawAsInfinite", true, `drawAsInfinite(${s.name})`, "1"));
defineOption("alpha", [req("alpha", "float")], (s, a: number) => withOption(s, "alpha", a));
defineFunction({
  name: "stacked",
  group: "Graph",
  description: "Stacks the series: each value becomes the running total across the list at that point.",
  params: [{ ...seriesList, argName: "seriesLists" }, { name: "stack", type: "string", argName: "stackName", fallback: "__DEFAULT__" }],
  // graphite-web keeps the running totals per request and stack name; here they are per call.
  impl: (_ctx, list: Series[], stack: string) => {
    const total: number[] = [];
    return list.map((s) => {
      const values = new Float64Array(s.values.length);
      for (let i = 0; i < values.length; i++) {
        total[i] ??= 0;
        const v = s.values[i];
        if (v === v) values[i] = total[i] += v;
        else values[i] = Number.NaN;
      }
      const r = derive(s, values, stack === "__DEFAULT__" ? `stacked(${s.name})` : s.name);
      r.options = { ...(r.options ?? {}), stacked: true };
      if (stack === "__DEFAULT__") r.tags.stacked = stack;
      return r;
    });
  },
});

defineFunction({
  name: "cactiStyle",
  group: "Special",
  description: "Appends Current, Max and Min to each name, padded in columns.",
  params: [seriesList, opt("system", "string", null), opt("units", "string", null)],
  impl: (_ctx, list: Series[], system: string | null, units: string | null) => {
    if (list.length === 0) return list;
    const fmt = (x: number): string => {
      if (system) return formatUnits(x, system, "cactiStyle", units, units ? " " : "");
      return units ? `${formatF(x, 2)} ${units}` : formatF(x, 2);
    };
    const stat = (s: Series, kind: "last" | "max" | "min"): number | null => {
      const v = Array.from(s.values).filter((x) => x === x);
      if (!v.length) return null;
      return kind === "last" ? v[v.length - 1] : kind === "max" ? maxOf(v) : minOf(v);
    };
    const width = (kind: "last" | "max" | "min") => Math.max(0, ...list.map((s) => fmt(Math.trunc(stat(s, kind) || 3)).length)) + 3;
    const nameLen = Math.max(0, ...list.map((s) => s.name.length));
    const [lastLen, maxLen, minLen] = [width("last"), width("max"), width("min")];
    return list.map((s) => {
      const show = (kind: "last" | "max" | "min"): string => {
        const v = stat(s, kind);
        return v === null ? "nan" : fmt(v);
      };
      const name = `${s.name.padEnd(nameLen)} Current:${show("last").padEnd(lastLen)} Max:${show("max").padEnd(maxLen)} Min:${show("min").padEnd(minLen)} `;
      return { ...s, name };
    });
  },
});

defineFunction({
  name: "identity",
  group: "Calculate",
  description: "A line y = t over the request range (one point a minute), named name.",
  params: [req("name", "string")],
  chargesOutput: true,
  impl: (ctx, name: string) => {
    const step = 60;
    const n = Math.max(0, Math.ceil((ctx.until - ctx.from) / step));
    checkPoints(ctx, "identity", "name", n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = ctx.from + i * step;
    return [createSeries({ name, start: ctx.from, end: ctx.until, step, values, pathExpression: `identity("${name}")` })];
  },
});

defineFunction({
  name: "fallbackSeries",
  group: "Special",
  description: "The series list, or fallback when it is empty.",
  params: [seriesList, req("fallback", "seriesList")],
  impl: (_ctx, list: Series[], fallback: Series[]) => (list.length > 0 ? list : fallback),
});

defineFunction({
  name: "setXFilesFactor",
  aliases: ["xFilesFactor"],
  group: "Special",
  description: "Sets the xFilesFactor used by later consolidation (and the request's default from here on).",
  params: [seriesList, req("xFilesFactor", "float")],
  impl: (ctx, list: Series[], xff: number) => {
    if (xff < 0 || xff > 1) throw argError("setXFilesFactor", "xFilesFactor", `must be between 0 and 1, got ${xff}`);
    ctx.xFilesFactor = xff;
    return list.map((s) => ({ ...s, xFilesFactor: xff, tags: { ...s.tags, xFilesFactor: pyArg(xff) } }));
  },
});

defineFunction({
  name: "aggregateLine",
  group: "Calculate",
  description: "A constant line at func (default average) of each series.",
  params: [seriesList, opt("func", "aggFunc", "average"), opt("keepStep", "boolean", false)],
  impl: (ctx, list: Series[], func: string, keepStep: boolean) => {
    const f = getAggFunc(func, "aggregateLine");
    return list.map((s) => {
      const v = f(Array.from(s.values));
      const name = v === v ? `aggregateLine(${s.name}, ${formatG(v)})` : `aggregateLine(${s.name}, None)`;
      if (keepStep) return derive(s, new Float64Array(s.values.length).fill(v), name);
      const line = constantLineSeries(ctx, v, name);
      line.pathExpression = name;
      return line;
    });
  },
});

defineFunction({
  name: "areaBetween",
  group: "Graph",
  description: "Draws the area between exactly two series (graph options only).",
  params: [seriesList],
  impl: (_ctx, list: Series[]) => areaBetweenSeries(list, "areaBetween"),
});

/** areaBetween's work: both series named after the upper one's pathExpression, drawn stacked. */
export function areaBetweenSeries(list: Series[], fn: string): Series[] {
  if (list.length !== 2) {
    throw argError(fn, "seriesList", `must reference exactly 2 series, got ${list.length}`);
  }
  const name = `areaBetween(${list[1].pathExpression})`;
  const tags = { ...list[1].tags, areaBetween: "1" };
  return [
    { ...list[0], name, tags, options: { ...(list[0].options ?? {}), stacked: true, invisible: true } },
    { ...list[1], name, tags, options: { ...(list[1].options ?? {}), stacked: true } },
  ];
}

defineFunction({
  name: "verticalLine",
  group: "Graph",
  description: "A vertical line at ts (two points of 1.0), drawn as infinite.",
  params: [req("ts", "date"), opt("label", "string", null), opt("color", "string", null)],
  impl: (ctx, ts: string | number, label: string | null, color: string | null) => {
    const t = Math.trunc(dateArg(ctx, ts, "verticalLine", "ts"));
    if (t < ctx.from) throw argError("verticalLine", "ts", `timestamp ${t} is before the start of the range`);
    if (t > ctx.until) throw argError("verticalLine", "ts", `timestamp ${t} is after the end of the range`);
    const s = createSeries({ name: label ?? "", start: t, end: t, step: 1, values: [1, 1] });
    s.options = color ? { drawAsInfinite: true, color } : { drawAsInfinite: true };
    return [s];
  },
});

defineFunction({
  name: "seriesByTag",
  group: "Special",
  description: "Tagged series matching every tag expression; resolved by the store's fetch, as in graphite-web.",
  params: [{ name: "tagExpressions", type: "string", required: true, multiple: true }],
  // graphite-web resolves seriesByTag in STORE.fetch, not in the function: hand the canonical call text
  // (quoted as graphite-web prints it) to the evaluator's fetch.
  impl: (ctx, ...exprs: string[]) => ctx.fetch(`seriesByTag(${exprs.map((e) => `'${e}'`).join(",")})`, ctx.from, ctx.until),
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
