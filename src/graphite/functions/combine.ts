/** Combine functions (reference §6.1): aggregates across series, grouping by node/tag/wildcard position. */
import {
  commonTags,
  createSeries,
  derive,
  joinPathExpressions,
  normalize,
  NULL,
  pyFloat,
  formatG,
  parseTags,
  type Series,
} from "../series.js";
import { aggKey, getAggFunc, xffOk, AGG_ALIASES, ROW_FUNCS } from "./agg.js";
import { argError, GraphiteFunctionError } from "./errors.js";
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

/** x/y with graphite-web's safeDiv: null when either is null or the divisor is 0. */
function safeDiv(a: number, b: number): number {
  return a !== a || b !== b || b === 0 ? NULL : a / b;
}

/** Pairs two series on their common lcm grid (divideSeries, divideSeriesLists, asPercent). */
function pairwise(a: Series, b: Series, name: string, f: (x: number, y: number) => number, xff: number): Series {
  const norm = normalize([a, b]);
  const values = new Float64Array(norm.length);
  for (let i = 0; i < norm.length; i++) values[i] = f(norm.columns[0][i], norm.columns[1][i]);
  return { ...createSeries({ name, start: norm.start, end: norm.end, step: norm.step, values }), xFilesFactor: xff };
}

defineFunction({
  name: "divideSeries",
  group: "Combine",
  description: "Divides every dividend by the single divisor series; x/0 and nulls give null.",
  params: [req("dividendSeriesList", "seriesList"), req("divisorSeries", "seriesList")],
  impl: (ctx, dividends: Series[], divisor: Series[]) => {
    if (divisor.length === 0) {
      return dividends.map((s) => derive(s, new Float64Array(s.values.length).fill(NULL), `divideSeries(${s.name},MISSING)`));
    }
    if (divisor.length > 1) {
      throw new GraphiteFunctionError(
        "TORUS_ERR_GRAPHITE_ARG_VALUE",
        `divideSeries: argument "divisorSeries" must reference exactly 1 series (got ${divisor.length})`,
      );
    }
    return dividends.map((s) => pairwise(s, divisor[0], `divideSeries(${s.name},${divisor[0].name})`, safeDiv, ctx.xFilesFactor ?? 0));
  },
});

defineFunction({
  name: "divideSeriesLists",
  group: "Combine",
  description: "Divides the n-th dividend by the n-th divisor; both lists must have the same length.",
  params: [req("dividendSeriesList", "seriesList"), req("divisorSeriesList", "seriesList")],
  impl: (ctx, dividends: Series[], divisors: Series[]) => {
    if (dividends.length !== divisors.length) {
      throw new GraphiteFunctionError(
        "TORUS_ERR_GRAPHITE_ARG_VALUE",
        `divideSeriesLists: both lists must have the same length (got ${dividends.length} and ${divisors.length})`,
      );
    }
    return dividends.map((s, i) =>
      pairwise(s, divisors[i], `divideSeries(${s.name},${divisors[i].name})`, safeDiv, ctx.xFilesFactor ?? 0),
    );
  },
});

const percentOf = (v: number, t: number): number => {
  const q = safeDiv(v, t);
  return q !== q ? NULL : q * 100;
};

function rowSum(list: Series[], name: string, xff: number): Series {
  const norm = normalize(list);
  const values = new Float64Array(norm.length);
  for (let i = 0; i < norm.length; i++) values[i] = ROW_FUNCS.sum(norm.columns.map((c) => c[i]));
  return { ...createSeries({ name, start: norm.start, end: norm.end, step: norm.step, values }), xFilesFactor: xff };
}

function groupByKey(list: Series[], nodes: (number | string)[], keys: string[]): Map<string, Series[]> {
  const m = new Map<string, Series[]>();
  for (const s of list) {
    const k = aggKey(s, nodes);
    if (!m.has(k)) {
      m.set(k, []);
      if (!keys.includes(k)) keys.push(k);
    }
    m.get(k)!.push(s);
  }
  return m;
}

defineFunction({
  name: "asPercent",
  aliases: ["pct"],
  group: "Combine",
  description: "Each series as a percent of a total: the list's sum, a number, one series, a matching list, or per node group.",
  params: [seriesList, opt("total", "any", null), { name: "nodes", type: "nodeOrTag", multiple: true }],
  impl: (ctx, list: Series[], total: Series[] | number | null, ...nodes: (number | string)[]) => {
    const xff = ctx.xFilesFactor ?? 0;
    if (total !== null && typeof total !== "number" && !Array.isArray(total)) {
      throw argError("asPercent", "total", "must be None, a number or a series list");
    }
    if (nodes.length > 0) {
      if (typeof total === "number") throw argError("asPercent", "total", "must be None or a series list when nodes are given");
      const keys: string[] = [];
      const meta = groupByKey(list, nodes, keys);
      const totals = new Map<string, Series>();
      const totalGroups = total === null ? meta : groupByKey(total, nodes, keys);
      for (const [k, g] of totalGroups) {
        totals.set(k, g.length === 1 ? g[0] : rowSum(g, `sumSeries(${joinPathExpressions(g)})`, xff));
      }
      const out: Series[] = [];
      for (const k of keys) {
        const g = meta.get(k);
        const t = totals.get(k);
        if (!g) {
          out.push(derive(t!, new Float64Array(t!.values.length).fill(NULL), `asPercent(MISSING,${t!.name})`));
          continue;
        }
        for (const s of g) {
          if (!t) out.push(derive(s, new Float64Array(s.values.length).fill(NULL), `asPercent(${s.name},MISSING)`));
          else out.push(pairwise(s, t, `asPercent(${s.name},${t.name})`, percentOf, xff));
        }
      }
      return out;
    }
    if (list.length === 0) return [];
    if (Array.isArray(total)) {
      if (total.length !== 1 && total.length !== list.length) {
        throw new GraphiteFunctionError(
          "TORUS_ERR_GRAPHITE_ARG_VALUE",
          "asPercent: argument \"total\" must be missing, a number, exactly 1 series or as many series as the first argument",
        );
      }
      if (total.length === list.length && total.length !== 1) {
        const a = [...list].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
        const b = [...total].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
        return a.map((s, i) => pairwise(s, b[i], `asPercent(${s.name},${b[i].name})`, percentOf, xff));
      }
      const t = total[0];
      return list.map((s) => pairwise(s, t, `asPercent(${s.name},${t.name})`, percentOf, xff));
    }
    let totalValues: Float64Array;
    let totalText: string;
    const norm = normalize(list);
    if (total === null) {
      totalValues = new Float64Array(norm.length);
      for (let i = 0; i < norm.length; i++) totalValues[i] = ROW_FUNCS.sum(norm.columns.map((c) => c[i]));
      totalText = `sumSeries(${joinPathExpressions(list)})`;
    } else {
      totalValues = new Float64Array(norm.length).fill(total);
      totalText = Number.isInteger(total) ? String(total) : pyFloat(total);
    }
    return list.map((s, c) => {
      const col = norm.columns[c];
      const values = new Float64Array(col.length);
      for (let i = 0; i < col.length; i++) values[i] = percentOf(col[i], i < totalValues.length ? totalValues[i] : NULL);
      return {
        ...createSeries({ name: `asPercent(${s.name},${totalText})`, start: s.start, end: s.end, step: norm.step, values }),
        xFilesFactor: xff,
      };
    });
  },
});

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
