/** Ratios between series (reference §6.1): divideSeries, divideSeriesLists, asPercent. */
import { createSeries, derive, joinPathExpressions, normalize, NULL, pyFloat, type Series } from "../series.js";
import { aggKey, ROW_FUNCS } from "./agg.js";
import { argError, GraphiteFunctionError } from "./errors.js";
import { opt, req, seriesList } from "./params.js";
import { defineFunction } from "./registry.js";

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
