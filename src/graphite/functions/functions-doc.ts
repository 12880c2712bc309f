/** `docs/functions.md`, generated from the registry (a test keeps the committed file equal to this). */
import { functionInfo, functionNames, type FunctionGroup } from "./registry.js";
import "./index.js";

const GROUPS: ReadonlyArray<[FunctionGroup, string]> = [
  ["Combine", "Aggregates across series, and grouping by node, tag or wildcard position."],
  ["Transform", "Per-series arithmetic and re-shaping of the points."],
  ["Calculate", "Moving windows, percentiles, forecasts and regressions."],
  ["Filter Series", "Keep or drop whole series."],
  ["Filter Data", "Null out points."],
  ["Sorting", "Reorder the list."],
  ["Alias", "Rename series."],
  ["Special", "Generated series, list plumbing, and settings of the request."],
  ["Graph", "Options for graphs; the data does not change (Grafana hides this group)."],
  [
    "Beyond Graphite",
    "Functions that read the stored cells behind fetched series instead of their floats: the input must be paths " +
      "(alias, group, sorting and filters may wrap them) of the type named. Both merge across every series of the " +
      "list and, with `maxDataPoints`, across the points consolidation joins, so their output already has " +
      "consolidation's timestamps; a point with no cells is null. `histogramPercentile` uses graphite-web's " +
      "`nPercentile` rank (the ceil(n/100·(N+1))-th smallest sample, clamped to [1, N], no interpolation), so it " +
      "equals `nPercentile` over the raw samples.",
  ],
];

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n+/g, " ");

export function renderFunctionsDoc(): string {
  let out =
    "# Render functions\n\n" +
    "<!-- Generated from the function registry by renderFunctionsDoc (src/graphite/functions/functions-doc.ts); regenerate with\n" +
    '     npx tsx -e \'import("./src/graphite/functions/functions-doc.ts").then((m) => process.stdout.write(m.renderFunctionsDoc()))\' > docs/functions.md -->\n\n' +
    "Every function `/render` accepts, by group, with its signature as `/functions` gives it (graphite-web's Python " +
    "form: `*name` takes any number of arguments, `name=value` shows the default). An alias (`sum` for `sumSeries`) " +
    "is listed as its own entry, as `/functions` does.\n";
  const names = functionNames();
  for (const [group, intro] of GROUPS) {
    const infos = names.map((n) => functionInfo(n)!).filter((i) => i.group === group);
    if (infos.length === 0) continue;
    out += `\n## ${group}\n\n${intro}\n\n| function | signature | description |\n| --- | --- | --- |\n`;
    for (const i of infos) out += `| \`${i.name}\` | \`${cell(i.function)}\` | ${cell(i.description)} |\n`;
  }
  const listed = new Set(GROUPS.map(([g]) => g as string));
  const unlisted = names.filter((n) => !listed.has(functionInfo(n)!.group));
  if (unlisted.length) throw new Error(`functions-doc: no section for the group of ${unlisted.join(", ")}`);
  return out;
}
