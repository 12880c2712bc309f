/** Alias functions (reference §6.5): they change `name` only, never pathExpression or values. */
import { formatF, formatG, pyFloat, type Series } from "../series.js";
import { argError } from "./errors.js";
import { aggKey, getAggFunc } from "./agg.js";
import { pyRegex, pyReplacer } from "./pyregex.js";
import { opt, req, seriesList } from "./params.js";
import { defineFunction } from "./registry.js";

const withName = (s: Series, name: string): Series => ({ ...s, name });

defineFunction({
  name: "alias",
  group: "Alias",
  description: "Every series gets the given name.",
  params: [seriesList, req("newName", "string")],
  impl: (_ctx, list: Series[], newName: string) => list.map((s) => withName(s, newName)),
});

defineFunction({
  name: "aliasByNode",
  group: "Alias",
  description: "The name becomes the chosen nodes (or tags) of the path, joined with '.'.",
  params: [seriesList, { name: "nodes", type: "nodeOrTag", required: true, multiple: true }],
  impl: (_ctx, list: Series[], ...nodes: (number | string)[]) => list.map((s) => withName(s, aggKey(s, nodes))),
});

defineFunction({
  name: "aliasByTags",
  group: "Alias",
  description: "The name becomes the chosen tags (or nodes), joined with '.'.",
  params: [seriesList, { name: "tags", type: "nodeOrTag", required: true, multiple: true }],
  impl: (_ctx, list: Series[], ...tags: (number | string)[]) => list.map((s) => withName(s, aggKey(s, tags))),
});

/** aliasByMetric's clean-up: drop up to the last `(` and from the first `)`, keep the last node, cut at `,`. */
function cleanName(name: string): string {
  let n = name;
  const l = n.lastIndexOf("(");
  if (l >= 0) n = n.slice(l + 1);
  const r = n.indexOf(")");
  if (r >= 0) n = n.slice(0, r);
  return n;
}

defineFunction({
  name: "aliasByMetric",
  group: "Alias",
  description: "The name becomes the last node of the metric path.",
  params: [seriesList],
  impl: (_ctx, list: Series[]) =>
    list.map((s) => {
      const last = cleanName(s.name).split(".").at(-1) ?? "";
      return withName(s, last.split(",")[0]);
    }),
});

defineFunction({
  name: "aliasSub",
  group: "Alias",
  description: "Python re.sub on the name: every match of search replaced; \\1 and \\g<name> back-references.",
  params: [seriesList, req("search", "string"), req("replace", "string")],
  impl: (_ctx, list: Series[], search: string, replace: string) => {
    const re = pyRegex(search, "aliasSub", "search", "g");
    const replacer = pyReplacer(replace, "aliasSub");
    return list.map((s) => withName(s, s.name.replace(re, replacer)));
  },
});

defineFunction({
  name: "substr",
  group: "Special",
  description: "The name becomes the nodes [start:stop] of the cleaned name (stop 0 means to the end).",
  params: [seriesList, opt("start", "node", 0), opt("stop", "node", 0)],
  impl: (_ctx, list: Series[], start: number, stop: number) =>
    list.map((s) => {
      const nodes = cleanName(s.name).split(".");
      const picked = stop ? nodes.slice(start, stop) : nodes.slice(start);
      return withName(s, picked.join(".").replace(/,.*$/, ""));
    }),
});

defineFunction({
  name: "legendValue",
  group: "Alias",
  description: "Appends values (avg, total, min, max, last, …) to the name, like the legend of a graph.",
  params: [seriesList, { name: "valuesTypes", argName: "valueTypes", type: "string", multiple: true }],
  impl: (_ctx, list: Series[], ...valueTypes: string[]) => {
    let system: string | null = null;
    if (valueTypes.length && ["si", "binary"].includes(valueTypes.at(-1)!)) system = valueTypes.pop()!;
    return list.map((s) => {
      let name = s.name;
      for (const t of valueTypes) {
        const v = legendStat(s, t);
        if (system === null) name += ` (${t}: ${v === null ? "(?)" : v !== v ? "None" : pyNum(v)})`;
        else name = `${name.padEnd(20)}${t.padEnd(5)}${(v === null ? "(?)" : v !== v ? "None" : formatUnits(v, system)).padEnd(10)}`;
      }
      return withName(s, name);
    });
  },
});


function legendStat(s: Series, type: string): number | null {
  try {
    return getAggFunc(type, "legendValue")(Array.from(s.values));
  } catch {
    return null;
  }
}

function pyNum(v: number): string {
  return pyFloat(v);
}

/** graphite-web's UnitSystems (render/glyph.py): prefix and size, largest first. */
const UNIT_SYSTEMS: Record<string, [string, number][]> = {
  binary: [["Pi", 1024 ** 5], ["Ti", 1024 ** 4], ["Gi", 1024 ** 3], ["Mi", 1024 ** 2], ["Ki", 1024]],
  si: [["P", 1000 ** 5], ["T", 1000 ** 4], ["G", 1000 ** 3], ["M", 1000 ** 2], ["k", 1000]],
  sec: [["Y", 31536000], ["M", 2592000], ["D", 86400], ["H", 3600], ["m", 60]],
  msec: [["Y", 31536000000], ["M", 2592000000], ["D", 86400000], ["H", 3600000], ["m", 60000], ["s", 1000]],
};

/**
 * graphite-web's `format_units` then `"%.2f" + sep + "%s"`: the value scaled by the largest prefix it
 * reaches, two decimals, then the prefix (and units). An unknown system is the user's mistake.
 */
export function formatUnits(v: number, system: string, fn = "legendValue", units: string | null = null, sep = ""): string {
  const table = UNIT_SYSTEMS[system];
  if (!table) throw argError(fn, "system", `unknown unit system "${system}" (use ${Object.keys(UNIT_SYSTEMS).join(", ")})`);
  let scaled = v;
  let prefix = "";
  const hit = table.find(([, size]) => Math.abs(v) >= size);
  if (hit) {
    scaled = v / hit[1];
    prefix = hit[0];
  }
  if (scaled - Math.floor(scaled) < 1e-11 && v > 1) scaled = Math.floor(scaled);
  return `${formatF(scaled, 2)}${sep}${prefix}${units ?? ""}`;
}

for (const [name, upper] of [
  ["upper", true],
  ["lower", false],
] as const) {
  defineFunction({
    name,
    group: "Alias",
    description: `${upper ? "Upper" : "Lower"}-cases the name, or only the characters at the given positions.`,
    params: [seriesList, { name: "pos", type: "integer", multiple: true }],
    impl: (_ctx, list: Series[], ...pos: number[]) =>
      list.map((s) => {
        const conv = (c: string) => (upper ? c.toUpperCase() : c.toLowerCase());
        if (pos.length === 0) return withName(s, conv(s.name));
        const chars = [...s.name];
        for (const p of pos) {
          const i = p < 0 ? chars.length + p : p;
          if (i >= 0 && i < chars.length) chars[i] = conv(chars[i]);
        }
        return withName(s, chars.join(""));
      }),
  });
}

/** Python's `%` of one value into a format (aliasQuery's newName): %s, %d, %f/%.Nf, %g. */
function pyPercent(format: string, v: number): string {
  return format.replace(/%(\.(\d+))?([sdfg%])/g, (_m, _p, prec: string | undefined, conv: string) => {
    if (conv === "%") return "%";
    if (conv === "d") return String(Math.trunc(v));
    if (conv === "f") return formatF(v, prec === undefined ? 6 : Number(prec));
    if (conv === "g") return formatG(v, prec === undefined ? 6 : Number(prec));
    return pyFloat(v);
  });
}

defineFunction({
  name: "aliasQuery",
  group: "Alias",
  description: "Names each series by the last value of another query built from its name (newName with %).",
  params: [seriesList, req("search", "string"), req("replace", "string"), req("newName", "string")],
  impl: async (ctx, list: Series[], search: string, replace: string, newName: string) => {
    const re = pyRegex(search, "aliasQuery", "search", "g");
    const replacer = pyReplacer(replace, "aliasQuery");
    const out: Series[] = [];
    for (const s of list) {
      const query = s.name.replace(re, replacer);
      const [first] = await ctx.fetch(query, ctx.from, ctx.until);
      if (!first) throw argError("aliasQuery", "search", `no series found with query: ${query}`);
      let last = NaN;
      for (let i = first.values.length - 1; i >= 0 && last !== last; i--) last = first.values[i];
      if (last !== last) throw argError("aliasQuery", "search", `cannot get the last value of series: ${first.name}`);
      out.push(withName(s, pyPercent(newName, last)));
    }
    return out;
  },
});
