/** Combine functions over pairs of lists, and map/reduce (reference §6.1, lower priority). */
import { createSeries, normalize, NULL, type Series } from "../series.js";
import { aggKey } from "./agg.js";
import { aggregateSeries } from "./combine.js";
import { GraphiteFunctionError } from "./errors.js";
import { aggFunc, req, seriesList, xFilesFactor } from "./params.js";
import { callFunction, defineFunction, type EvalContext } from "./registry.js";

function aggregateLists(ctx: EvalContext, a: Series[], b: Series[], func: string, xff: number | null, fn: string): Series[] {
  if (a.length !== b.length) {
    throw new GraphiteFunctionError(
      "TORUS_ERR_GRAPHITE_ARG_VALUE",
      `${fn}: seriesListFirstPos and seriesListSecondPos must have the same length (got ${a.length} and ${b.length})`,
    );
  }
  const out: Series[] = [];
  for (let i = 0; i < a.length; i++) {
    const [r] = aggregateSeries(ctx, [a[i], b[i]], func, xff, fn);
    if (!r) continue;
    out.push({ ...r, name: `${r.name.slice(0, r.name.indexOf("Series("))}Series(${a[i].name},${b[i].name})` });
  }
  return out;
}

const pair = [req("seriesListFirstPos", "seriesList"), req("seriesListSecondPos", "seriesList")];

defineFunction({
  name: "aggregateSeriesLists",
  group: "Combine",
  description: "Aggregates the n-th series of the first list with the n-th of the second.",
  params: [...pair, aggFunc("func"), xFilesFactor],
  impl: (ctx, a: Series[], b: Series[], func: string, xff: number | null) => aggregateLists(ctx, a, b, func, xff, "aggregateSeriesLists"),
});

for (const [name, func] of [
  ["sumSeriesLists", "sum"],
  ["diffSeriesLists", "diff"],
  ["multiplySeriesLists", "multiply"],
] as const) {
  defineFunction({
    name,
    group: "Combine",
    description: `${func} of the n-th series of both lists.`,
    params: pair,
    impl: (ctx, a: Series[], b: Series[]) => aggregateLists(ctx, a, b, func, null, name),
  });
}

defineFunction({
  name: "powSeries",
  group: "Combine",
  description: "The first value raised to the next, and so on, at each timestamp; any null gives null.",
  params: [{ name: "seriesList", argName: "seriesLists", type: "seriesList", required: true, multiple: true }],
  impl: (ctx, ...lists: Series[][]) => {
    const list = lists.flat();
    if (list.length === 0) return [];
    const norm = normalize(list);
    const values = new Float64Array(norm.length);
    for (let i = 0; i < norm.length; i++) {
      let acc = norm.columns[0][i];
      for (let c = 1; c < norm.columns.length; c++) {
        const v = norm.columns[c][i];
        acc = acc !== acc || v !== v ? NULL : Math.pow(acc, v);
        if (!Number.isFinite(acc)) acc = NULL;
      }
      values[i] = acc;
    }
    const name = `powSeries(${list.map((s) => s.name).join(",")})`;
    return [{ ...createSeries({ name, start: norm.start, end: norm.end, step: norm.step, values }), xFilesFactor: ctx.xFilesFactor ?? 0 }];
  },
});

defineFunction({
  name: "weightedAverage",
  group: "Combine",
  description: "Σ(avg·weight)/Σweight, pairing the two lists by node key.",
  params: [req("seriesListAvg", "seriesList"), req("seriesListWeight", "seriesList"), { name: "nodes", type: "nodeOrTag", multiple: true }],
  impl: (ctx, avgs: Series[], weights: Series[], ...nodes: (number | string)[]) => {
    if (avgs.length !== weights.length) {
      throw new GraphiteFunctionError(
        "TORUS_ERR_GRAPHITE_ARG_VALUE",
        `weightedAverage: seriesListAvg and seriesListWeight must have the same number of series (got ${avgs.length} and ${weights.length})`,
      );
    }
    const byKey = new Map<string, { avg?: Series; weight?: Series }>();
    for (let i = 0; i < avgs.length; i++) {
      const ka = aggKey(avgs[i], nodes);
      byKey.set(ka, { ...(byKey.get(ka) ?? {}), avg: avgs[i] });
      const kw = aggKey(weights[i], nodes);
      byKey.set(kw, { ...(byKey.get(kw) ?? {}), weight: weights[i] });
    }
    const products: Series[] = [];
    for (const { avg, weight } of byKey.values()) {
      if (!avg || !weight) continue;
      const n = Math.max(avg.values.length, weight.values.length);
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const a = i < avg.values.length ? avg.values[i] : NULL;
        const w = i < weight.values.length ? weight.values[i] : NULL;
        values[i] = a * w;
      }
      products.push(createSeries({ name: `product(${weight.name},${avg.name})`, start: avg.start, end: avg.end, step: avg.step, values }));
    }
    if (products.length === 0) return [];
    const [sp] = aggregateSeries(ctx, products, "sum", null);
    const [sw] = aggregateSeries(ctx, weights, "sum", null);
    const values = new Float64Array(sp.values.length);
    for (let i = 0; i < values.length; i++) {
      const w = i < sw.values.length ? sw.values[i] : NULL;
      values[i] = sp.values[i] !== sp.values[i] || w !== w || w === 0 ? NULL : sp.values[i] / w;
    }
    const sortedPaths = (l: Series[]) => [...new Set(l.map((s) => s.pathExpression))].sort().join(",");
    const name = `weightedAverage(${sortedPaths(avgs)}, ${sortedPaths(weights)}, ${nodes.map(String).join(",")})`;
    return [createSeries({ name, start: sp.start, end: sp.end, step: sp.step, values })];
  },
});

/** A mapSeries result: the flat list, plus its groups for reduceSeries (graphite-web passes a list of lists). */
export type GroupedList = Series[] & { groups?: Series[][] };

defineFunction({
  name: "mapSeries",
  aliases: ["map"],
  group: "Combine",
  description: "Groups the series by node key, for reduceSeries.",
  params: [seriesList, { name: "mapNodes", type: "nodeOrTag", required: true, multiple: true }],
  impl: (_ctx, list: Series[], ...nodes: (number | string)[]) => {
    const groups = new Map<string, Series[]>();
    for (const s of list) {
      const k = aggKey(s, nodes);
      const g = groups.get(k);
      if (g) g.push(s);
      else groups.set(k, [s]);
    }
    const out: GroupedList = [...groups.values()].flat();
    out.groups = [...groups.values()];
    return out;
  },
});

defineFunction({
  name: "reduceSeries",
  aliases: ["reduce"],
  group: "Combine",
  description: "For each map group, calls reduceFunction on the series whose reduceNode is each matcher, in order.",
  params: [req("seriesLists", "seriesLists"), req("reduceFunction", "string"), req("reduceNode", "node"), { name: "reduceMatchers", type: "string", required: true, multiple: true }],
  impl: async (ctx, lists: GroupedList, fn: string, node: number, ...matchers: string[]) => {
    const groups = lists.groups ?? [lists];
    const meta = new Map<string, (Series | undefined)[]>();
    for (const g of groups) {
      for (const s of g) {
        const nodes = s.name.split(".");
        const key = `${nodes.slice(0, node).join(".")}.reduce.${fn}`;
        const i = matchers.indexOf(nodes[node]);
        if (i < 0) continue;
        if (!meta.has(key)) meta.set(key, new Array(matchers.length).fill(undefined));
        meta.get(key)![i] = s;
      }
    }
    const out: Series[] = [];
    for (const [key, members] of meta) {
      const [r] = await callFunction(ctx, fn, members.map((m) => (m ? [m] : [])));
      if (r) out.push({ ...r, name: key });
    }
    return out;
  },
});

