/** Filter Series, Filter Data and Sorting (reference §6.4). */
import { derive, formatG, minOf, NULL, nonNull, pyFloat, type Series } from "../series.js";
import { getAggFunc, type RowFunc } from "./agg.js";
import { argError } from "./errors.js";
import { pyRegex, pyReplacer } from "./pyregex.js";
import { aggFunc, opt, req, seriesList } from "./params.js";
import { percentile } from "./percentile.js";
import { defineFunction } from "./registry.js";

/** A series' key under an aggFunc over its own values (null when it has none). */
function keyOf(s: Series, f: RowFunc): number {
  return f(Array.from(s.values));
}

/** Stable sort by key; a null key sorts as −∞ (graphite-web sorts None lowest). */
function sortByKey(list: Series[], key: (s: Series) => number, descending: boolean): Series[] {
  const keyed = list.map((s, i) => ({ s, i, k: key(s) }));
  keyed.sort((a, b) => {
    const ka = a.k === a.k ? a.k : -Infinity;
    const kb = b.k === b.k ? b.k : -Infinity;
    if (ka !== kb) return descending ? kb - ka : ka - kb;
    return a.i - b.i;
  });
  return keyed.map((x) => x.s);
}

const average = getAggFunc("average", "");
const current = getAggFunc("last", "");
const max = getAggFunc("max", "");
const min = getAggFunc("min", "");
const sum = getAggFunc("sum", "");

function defineTop(name: string, f: RowFunc, descending: boolean, description: string): void {
  defineFunction({
    name,
    group: "Filter Series",
    description,
    params: [seriesList, req("n", "integer")],
    impl: (_ctx, list: Series[], n: number) => sortByKey(list, (s) => keyOf(s, f), descending).slice(0, Math.max(0, n)),
  });
}
defineTop("highestCurrent", current, true, "The n series with the highest last value.");
defineTop("highestMax", max, true, "The n series with the highest maximum.");
defineTop("highestAverage", average, true, "The n series with the highest average.");
defineTop("lowestCurrent", current, false, "The n series with the lowest last value.");
defineTop("lowestAverage", average, false, "The n series with the lowest average.");

for (const [name, descending] of [
  ["highest", true],
  ["lowest", false],
] as const) {
  defineFunction({
    name,
    group: "Filter Series",
    description: `The n series with the ${name} value of func (default average).`,
    params: [seriesList, req("n", "integer", { fallback: 1 }), aggFunc("func", "average", false)],
    impl: (_ctx, list: Series[], n: number, func: string) => {
      const f = getAggFunc(func, name);
      return sortByKey(list, (s) => keyOf(s, f), descending).slice(0, Math.max(0, n));
    },
  });
}

function defineThreshold(name: string, f: RowFunc, above: boolean): void {
  defineFunction({
    name,
    group: "Filter Series",
    description: above ? "Keeps series whose value is above n (all-null dropped)." : "Keeps series whose value is at most n (all-null kept).",
    params: [seriesList, req("n", "float")],
    impl: (_ctx, list: Series[], n: number) =>
      list.filter((s) => {
        const k = keyOf(s, f);
        if (k !== k) return !above;
        return above ? k > n : k <= n;
      }),
  });
}
defineThreshold("currentAbove", current, true);
defineThreshold("currentBelow", current, false);
defineThreshold("averageAbove", average, true);
defineThreshold("averageBelow", average, false);
defineThreshold("maximumAbove", max, true);
defineThreshold("maximumBelow", max, false);
defineThreshold("minimumAbove", min, true);
defineThreshold("minimumBelow", min, false);

/** graphite-web's operatorFuncs: a null key passes `!=`, `<` and `<=`, and fails the others. */
const OPERATORS: Record<string, (a: number, b: number) => boolean> = {
  "=": (a, b) => a === a && a === b,
  "!=": (a, b) => a !== a || a !== b,
  ">": (a, b) => a === a && a > b,
  ">=": (a, b) => a === a && a >= b,
  "<": (a, b) => a !== a || a < b,
  "<=": (a, b) => a !== a || a <= b,
};

defineFunction({
  name: "filterSeries",
  group: "Filter Series",
  description: "Keeps series whose func value compares true against threshold.",
  params: [seriesList, aggFunc("func"), req("operator", "string", { options: Object.keys(OPERATORS) }), req("threshold", "float")],
  impl: (_ctx, list: Series[], func: string, operator: string, threshold: number) => {
    const f = getAggFunc(func, "filterSeries");
    const op = OPERATORS[operator];
    if (!op) throw argError("filterSeries", "operator", `unsupported operator "${operator}" (use ${Object.keys(OPERATORS).join(" ")})`);
    return list.filter((s) => op(keyOf(s, f), threshold));
  },
});

defineFunction({
  name: "limit",
  group: "Filter Series",
  description: "The first n series.",
  params: [seriesList, req("n", "integer")],
  impl: (_ctx, list: Series[], n: number) => list.slice(0, Math.max(0, n)),
});

for (const [name, keep] of [
  ["grep", true],
  ["exclude", false],
] as const) {
  defineFunction({
    name,
    group: "Filter Series",
    description: keep ? "Keeps series whose name matches the regex." : "Drops series whose name matches the regex.",
    params: [seriesList, req("pattern", "string")],
    impl: (_ctx, list: Series[], pattern: string) => {
      const re = pyRegex(pattern, name, "pattern");
      return list.filter((s) => re.test(s.name) === keep);
    },
  });
}

defineFunction({
  name: "removeEmptySeries",
  group: "Filter Series",
  description: "Drops series with no non-null value (or with fewer than xFilesFactor of them).",
  params: [seriesList, opt("xFilesFactor", "float", null)],
  impl: (ctx, list: Series[], xff: number | null) =>
    list.filter((s) => {
      const n = nonNull(s.values).length;
      return n > 0 && n / s.values.length >= (xff ?? ctx.xFilesFactor ?? 0);
    }),
});

defineFunction({
  name: "unique",
  group: "Filter Series",
  description: "Drops series whose name was already seen.",
  params: [{ name: "seriesLists", type: "seriesList", required: true, multiple: true }],
  impl: (_ctx, ...lists: Series[][]) => {
    const seen = new Set<string>();
    return lists.flat().filter((s) => !seen.has(s.name) && (seen.add(s.name), true));
  },
});

/** `percentileTag`: graphite-web's percentile variants run nPercentile on each series, which leaves its `nPercentile` tag (the float as Python prints it). */
function defineRemove(name: string, test: (v: number, bound: number) => boolean, bound: (s: Series, n: number) => number, percentileTag = false): void {
  defineFunction({
    name,
    group: "Filter Data",
    description: `Sets values to null per ${name}.`,
    params: [seriesList, req("n", "float")],
    impl: (_ctx, list: Series[], n: number) => {
      const out: Series[] = [];
      for (const s of list) {
        const b = bound(s, n);
        const values = Float64Array.from(s.values, (v) => (v === v && b === b && test(v, b) ? NULL : v));
        const tags = percentileTag ? { ...s.tags, nPercentile: pyFloat(n) } : undefined;
        out.push(derive(s, values, `${name}(${s.name}, ${formatG(n)})`, { tags }));
      }
      return out;
    },
  });
}
defineRemove("removeAboveValue", (v, b) => v > b, (_s, n) => n);
defineRemove("removeBelowValue", (v, b) => v < b, (_s, n) => n);
defineRemove("removeAbovePercentile", (v, b) => v > b, (s, n) => percentile(s.values, n), true);
defineRemove("removeBelowPercentile", (v, b) => v < b, (s, n) => percentile(s.values, n), true);

function defineSort(name: string, f: RowFunc, descending: boolean, description: string): void {
  defineFunction({
    name,
    group: "Sorting",
    description,
    params: [seriesList],
    impl: (_ctx, list: Series[]) => sortByKey(list, (s) => keyOf(s, f), descending),
  });
}
defineSort("sortByMaxima", max, true, "Descending by maximum.");
defineSort("sortByTotal", sum, true, "Descending by sum.");

defineFunction({
  name: "sortByMinima",
  group: "Sorting",
  description: "Ascending by minimum, dropping series whose maximum is ≤ 0 (all-null included).",
  params: [seriesList],
  impl: (_ctx, list: Series[]) =>
    sortByKey(
      list.filter((s) => {
        const m = keyOf(s, max);
        return m === m && m > 0;
      }),
      (s) => keyOf(s, min),
      false,
    ),
});

defineFunction({
  name: "sortBy",
  group: "Sorting",
  description: "Ascending by func (default average), or descending when reverse.",
  params: [seriesList, aggFunc("func", "average", false), opt("reverse", "boolean", false)],
  impl: (_ctx, list: Series[], func: string, reverse: boolean) => {
    const f = getAggFunc(func, "sortBy");
    return sortByKey(list, (s) => keyOf(s, f), !!reverse);
  },
});

/** sortByName's natural key: runs of digits padded to 10 places. */
function naturalKey(name: string): string {
  return name.replace(/\d+/g, (d) => d.padStart(10, "0"));
}

defineFunction({
  name: "sortByName",
  group: "Sorting",
  description: "Sorts by name; natural pads digit runs before comparing.",
  params: [seriesList, opt("natural", "boolean", false), opt("reverse", "boolean", false)],
  impl: (_ctx, list: Series[], natural: boolean, reverse: boolean) => {
    const key = natural ? (s: Series) => naturalKey(s.name) : (s: Series) => s.name;
    const sorted = [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    return reverse ? sorted.reverse() : sorted;
  },
});

defineFunction({
  name: "mostDeviant",
  group: "Filter Series",
  description: "The n series with the largest standard deviation.",
  params: [seriesList, req("n", "integer")],
  impl: (_ctx, list: Series[], n: number) => {
    const dev = (s: Series): number => {
      const v = nonNull(s.values);
      if (!v.length) return NULL;
      const avg = v.reduce((a, b) => a + b, 0) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - avg) * (b - avg), 0) / v.length);
    };
    return sortByKey(
      list.filter((s) => dev(s) === dev(s)),
      dev,
      true,
    ).slice(0, Math.max(0, n));
  },
});

defineFunction({
  name: "averageOutsidePercentile",
  group: "Filter Series",
  description: "Keeps series whose average is outside the n-th and (100−n)-th percentiles of all averages.",
  params: [seriesList, req("n", "float")],
  impl: (_ctx, list: Series[], n: number) => {
    const averages = list.map((s) => keyOf(s, average));
    const hi = n < 50 ? 100 - n : n;
    const low = percentile(averages, 100 - hi);
    const high = percentile(averages, hi);
    // Python compares None as smaller than everything only in 2.x; in 3.x graphite-web raises for all-null series.
    return list.filter((_s, i) => !(low < averages[i] && averages[i] < high));
  },
});

defineFunction({
  name: "removeBetweenPercentile",
  group: "Filter Series",
  description: "Keeps series with at least one value outside the per-timestamp n-th/(100−n)-th percentile band.",
  params: [seriesList, req("n", "float")],
  impl: (_ctx, list: Series[], n: number) => {
    if (list.length === 0) return [];
    const hi = n < 50 ? 100 - n : n;
    const len = minOf(list.map((s) => s.values.length));
    const lows: number[] = [];
    const highs: number[] = [];
    for (let i = 0; i < len; i++) {
      const col = list.map((s) => s.values[i]);
      lows.push(percentile(col, 100 - hi));
      highs.push(percentile(col, hi));
    }
    return list.filter((s) => {
      for (let i = 0; i < len; i++) if (!(lows[i] < s.values[i] && s.values[i] < highs[i])) return true;
      return false;
    });
  },
});

defineFunction({
  name: "useSeriesAbove",
  group: "Filter Series",
  description: "For each series whose max is above value, fetches the name rewritten by search/replace.",
  params: [seriesList, req("value", "float"), req("search", "string"), req("replace", "string")],
  impl: async (ctx, list: Series[], value: number, search: string, replace: string) => {
    const re = pyRegex(search, "useSeriesAbove", "search", "g");
    const replacer = pyReplacer(replace, "useSeriesAbove");
    const names = list.filter((s) => keyOf(s, max) > value).map((s) => s.name.replace(re, replacer));
    if (names.length === 0) return [];
    return (await ctx.fetch(`group(${names.join(",")})`, ctx.from, ctx.until)).filter((s) => s.values.length > 0);
  },
});
