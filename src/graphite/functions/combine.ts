/** Combine functions (reference §6.1): aggregates across series, grouping by node/tag/wildcard position. */
import { commonTags, createSeries, formatG, joinPathExpressions, normalize, NULL, parseTags, pyFloat, type Series } from "../series.js";
import { aggKey, getAggFunc, xffOk, AGG_ALIASES, ROW_FUNCS } from "./agg.js";
import { argError } from "./errors.js";
import { aggFunc, opt, req, seriesList, seriesLists, xFilesFactor } from "./params.js";
import { defineFunction, getFunction, type EvalContext } from "./registry.js";
import { percentile } from "./percentile.js";

/** graphite-web's `aggregate`: normalize, then one row function per timestamp, named `<func>Series(E)`. */
export function aggregateSeries(ctx: EvalContext, list: Series[], func: string, xff: number | null, fn = "aggregate"): Series[] {
  const bare = func.endsWith("Series") ? func.slice(0, -6) : func;
  const row = getAggFunc(bare, fn);
  if (list.length === 0) return [];
  const norm = normalize(list);
  const effXff = xff ?? ctx.xFilesFactor ?? 0;
  const name = `${bare}Series(${joinPathExpressions(list)})`;
  const canonical = AGG_ALIASES[bare] ?? bare;
  let values = columnAggregate(norm.columns, norm.length, canonical, effXff);
  if (!values) {
    values = new Float64Array(norm.length);
    const r: number[] = new Array(norm.columns.length);
    for (let i = 0; i < norm.length; i++) {
      for (let c = 0; c < norm.columns.length; c++) r[c] = norm.columns[c][i];
      values[i] = xffOk(r, effXff) ? row(r) : NULL;
    }
  }
  const tags = commonTags(list);
  if (!("name" in tags)) tags.name = name;
  tags.aggregatedBy = bare;
  return [
    {
      ...createSeries({ name, start: norm.start, end: norm.end, step: norm.step, values, tags }),
      xFilesFactor: effXff,
    },
  ];
}

const flat = (lists: Series[][]): Series[] => lists.flat();

/**
 * The common aggregates computed column by column into per-row accumulators: no per-row array, and the
 * same order of operations as graphite-web's row functions (so the same floats). Null for others.
 */
function columnAggregate(columns: Float64Array[], length: number, func: string, xff: number): Float64Array | null {
  const init: Record<string, number> = { sum: 0, average: 0, avg_zero: 0, count: 0, min: Infinity, max: -Infinity, multiply: 1 };
  if (!(func in init) && func !== "range") return null;
  const count = new Float64Array(length);
  const acc = new Float64Array(length).fill(func === "range" ? Infinity : init[func]);
  const acc2 = func === "range" ? new Float64Array(length).fill(-Infinity) : null;
  const nulls = func === "multiply" ? new Uint8Array(length) : null;
  for (const col of columns) {
    for (let i = 0; i < length; i++) {
      const v = col[i];
      if (v !== v) {
        if (nulls) nulls[i] = 1;
        continue;
      }
      count[i]++;
      switch (func) {
        case "min":
        case "range":
          if (v < acc[i]) acc[i] = v;
          if (acc2 && v > acc2[i]) acc2[i] = v;
          break;
        case "max":
          if (v > acc[i]) acc[i] = v;
          break;
        case "multiply":
          acc[i] *= v;
          break;
        default:
          acc[i] += v;
      }
    }
  }
  const n = columns.length;
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const c = count[i];
    if (c === 0 || c / n < xff) out[i] = NULL;
    else if (func === "average") out[i] = acc[i] / c;
    else if (func === "avg_zero") out[i] = acc[i] / n;
    else if (func === "count") out[i] = c;
    else if (func === "range") out[i] = acc2![i] - acc[i];
    else if (func === "multiply") out[i] = nulls![i] ? NULL : acc[i];
    else out[i] = acc[i];
  }
  return out;
}

function defineAggregate(name: string, func: string, description: string, aliases: string[] = []): void {
  defineFunction({
    name,
    aliases,
    group: "Combine",
    description,
    params: [seriesLists],
    impl: (ctx, ...lists: Series[][]) => {
      const list = flat(lists);
      if (func === "multiply" && list.length === 1) return list;
      return aggregateSeries(ctx, list, func, null, name);
    },
  });
}

defineAggregate("sumSeries", "sum", "Adds the series at each timestamp, ignoring nulls.", ["sum"]);
defineAggregate("averageSeries", "average", "Mean of the non-null values at each timestamp.", ["avg"]);
defineAggregate("maxSeries", "max", "Largest non-null value at each timestamp.");
defineAggregate("minSeries", "min", "Smallest non-null value at each timestamp.");
defineAggregate("diffSeries", "diff", "The first non-null value minus every later non-null value.");
defineAggregate("multiplySeries", "multiply", "Product at each timestamp; null if any value is null.");
defineAggregate("rangeOfSeries", "rangeOf", "max − min of the non-null values at each timestamp.");
defineAggregate("stddevSeries", "stddev", "Population standard deviation of the non-null values.");

defineFunction({
  name: "aggregate",
  group: "Combine",
  description: "Aggregates the series with the given function (average, sum, min, max, diff, stddev, count, range, multiply, last, median, avg_zero).",
  params: [seriesList, aggFunc("func"), xFilesFactor],
  impl: (ctx, list: Series[], func: string, xff: number | null) => aggregateSeries(ctx, list, func, xff),
});

defineFunction({
  name: "countSeries",
  group: "Combine",
  description: "The number of series at each timestamp; countSeries() is constantLine(0).",
  params: [{ ...seriesLists, required: false }],
  impl: (ctx, ...lists: Series[][]) => {
    if (lists.length === 0) {
      // graphite-web calls constantLine with the int 0 here, so the name is "0", not "0.0".
      const s = constantLineSeries(ctx, 0, "0");
      s.pathExpression = "countSeries()";
      return [s];
    }
    const list = flat(lists);
    if (list.length === 0) return [];
    const norm = normalize(list);
    const name = `countSeries(${joinPathExpressions(list)})`;
    return [
      createSeries({
        name,
        start: norm.start,
        end: norm.end,
        step: norm.step,
        values: new Float64Array(norm.length).fill(list.length),
        tags: { name },
      }),
    ];
  },
});

/** constantLine's three points at from, from+s, from+2s with s = floor((until−from)/2). */
export function constantLineSeries(ctx: EvalContext, value: number, name = pyFloat(value)): Series {
  const step = Math.max(1, Math.floor((ctx.until - ctx.from) / 2));
  return createSeries({ name, start: ctx.from, end: ctx.from + 2 * step, step, values: [value, value, value], tags: { name } });
}

defineFunction({
  name: "percentileOfSeries",
  group: "Combine",
  description: "The n-th percentile across the series at each timestamp.",
  params: [seriesList, req("n", "float"), opt("interpolate", "boolean", false)],
  impl: (ctx, list: Series[], n: number, interpolate: boolean | null) => {
    if (n <= 0) throw argError("percentileOfSeries", "n", `the requested percent must be greater than 0, got ${n}`);
    if (list.length === 0) return [];
    const norm = normalize(list);
    const name = `percentileOfSeries(${list[0].pathExpression},${formatG(n)})`;
    const values = new Float64Array(norm.length);
    for (let i = 0; i < norm.length; i++) {
      values[i] = percentile(norm.columns.map((c) => c[i]), n, !!interpolate);
    }
    return [{ ...createSeries({ name, start: norm.start, end: norm.end, step: norm.step, values, tags: { name } }), xFilesFactor: ctx.xFilesFactor ?? 0 }];
  },
});

defineFunction({
  name: "group",
  group: "Combine",
  description: "Concatenates the series lists.",
  params: [{ ...seriesLists, required: false }],
  impl: (_ctx, ...lists: Series[][]) => flat(lists),
});

/** Runs a groupBy callback: an aggFunc name, or a series function such as `sumSeries` or `countSeries`. */
async function applyCallback(ctx: EvalContext, callback: string, group: Series[], fn: string): Promise<Series> {
  const canonical = AGG_ALIASES[callback] ?? callback;
  if (!(canonical in ROW_FUNCS)) {
    const def = getFunction(callback);
    if (def && def.group === "Combine") return (await def.impl(ctx, group))[0];
  }
  return aggregateSeries(ctx, group, callback, null, fn)[0];
}

export async function groupBy(
  ctx: EvalContext,
  list: Series[],
  callback: string,
  nodes: (number | string)[],
  fn: string,
): Promise<Series[]> {
  const groups = new Map<string, Series[]>();
  for (const s of list) {
    const key = aggKey(s, nodes);
    const g = groups.get(key);
    if (g) g.push(s);
    else groups.set(key, [s]);
  }
  const out: Series[] = [];
  for (const [key, group] of groups) {
    const s = await applyCallback(ctx, callback, group, fn);
    out.push({ ...s, name: key });
  }
  return out;
}

defineFunction({
  name: "groupByNode",
  group: "Combine",
  description: "Groups the series by one node (or tag) and aggregates each group with the callback.",
  params: [seriesList, req("nodeNum", "nodeOrTag"), { ...aggFunc("callback", "average"), type: "aggOrSeriesFunc" }],
  impl: (ctx, list: Series[], node: number | string, cb: string) => groupBy(ctx, list, cb, [node], "groupByNode"),
});

defineFunction({
  name: "groupByNodes",
  group: "Combine",
  description: "Groups the series by several nodes (or tags) joined with '.', and aggregates each group.",
  params: [seriesList, { ...aggFunc("callback"), type: "aggOrSeriesFunc" }, { name: "nodes", type: "nodeOrTag", multiple: true }],
  impl: (ctx, list: Series[], cb: string, ...nodes: (number | string)[]) => groupBy(ctx, list, cb, nodes, "groupByNodes"),
});

defineFunction({
  name: "groupByTags",
  group: "Combine",
  description: "Groups tagged series by the given tags and aggregates each group.",
  params: [seriesList, { ...aggFunc("callback"), type: "aggOrSeriesFunc" }, { name: "tags", type: "tag", multiple: true, required: true }],
  impl: async (ctx, list: Series[], cb: string, ...tags: string[]) => {
    if (tags.length === 0) throw argError("groupByTags", "tags", "at least one tag is required");
    // The name is the common `name` tag when all series share one, else the callback; grouping by
    // `name` itself keeps each series' name.
    const byName = tags.includes("name");
    const names = new Set(list.map((s) => s.tags.name));
    const common = names.size === 1 ? [...names][0] : cb;
    const groups = new Map<string, Series[]>();
    for (const s of list) {
      const pairs = tags.filter((t) => !byName || t !== "name").map((t) => `${t}=${s.tags[t] ?? ""}`).sort();
      const key = [byName ? s.tags.name : common, ...pairs].join(";");
      const g = groups.get(key);
      if (g) g.push(s);
      else groups.set(key, [s]);
    }
    const out: Series[] = [];
    for (const [key, group] of groups) {
      const s = await applyCallback(ctx, cb, group, "groupByTags");
      out.push({ ...s, name: key, pathExpression: key, tags: parseTags(key) });
    }
    return out;
  },
});

function aggregateWithWildcards(ctx: EvalContext, list: Series[], func: string, positions: number[], fn: string): Series[] {
  const groups = new Map<string, Series[]>();
  for (const s of list) {
    const key = s.name
      .split(".")
      .filter((_p, i) => !positions.includes(i))
      .join(".");
    const g = groups.get(key);
    if (g) g.push(s);
    else groups.set(key, [s]);
  }
  return [...groups].map(([key, group]) => ({ ...aggregateSeries(ctx, group, func, null, fn)[0], name: key }));
}

defineFunction({
  name: "aggregateWithWildcards",
  group: "Combine",
  description: "Aggregates series grouped by their name with the given node positions removed.",
  params: [seriesList, aggFunc("func"), { name: "position", argName: "positions", type: "node", multiple: true }],
  impl: (ctx, list: Series[], func: string, ...pos: number[]) => aggregateWithWildcards(ctx, list, func, pos, "aggregateWithWildcards"),
});

for (const [name, func] of [
  ["sumSeriesWithWildcards", "sum"],
  ["averageSeriesWithWildcards", "average"],
  ["multiplySeriesWithWildcards", "multiply"],
] as const) {
  defineFunction({
    name,
    group: "Combine",
    description: `${func} of the series grouped by their name with the given node positions removed.`,
    params: [seriesList, { name: "position", type: "node", multiple: true }],
    impl: (ctx, list: Series[], ...pos: number[]) => aggregateWithWildcards(ctx, list, func, pos, name),
  });
}

defineFunction({
  name: "applyByNode",
  group: "Combine",
  description: "For each unique prefix up to nodeNum, evaluates templateFunction with % replaced by the prefix.",
  params: [seriesList, req("nodeNum", "node"), req("templateFunction", "string"), opt("newName", "string", null)],
  impl: async (ctx, list: Series[], nodeNum: number, template: string, newName: string | null) => {
    const prefixes = [...new Set(list.map((s) => s.name.split(".").slice(0, nodeNum + 1).join(".")))].sort();
    const out: Series[] = [];
    const last = list[list.length - 1];
    for (const prefix of prefixes) {
      for (const r of await ctx.fetch(template.replaceAll("%", prefix), ctx.from, ctx.until)) {
        const s = { ...r, pathExpression: prefix, start: last.start, end: last.end };
        if (newName) s.name = newName.replaceAll("%", prefix);
        out.push(s);
      }
    }
    return out;
  },
});
