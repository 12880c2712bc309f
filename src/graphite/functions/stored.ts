/**
 * Beyond Graphite: functions that read the stored cells behind fetched series instead of their floats.
 * A histogram keeps every value with its count and a set keeps its members, so a percentile or a distinct
 * count can be exact across series and across the buckets maxDataPoints joins, where averaging the
 * per-bucket floats (all graphite-web can do) gives a number that means nothing.
 *
 * Rules shared by both:
 * - every input must come straight from a store (`origin` set; alias, group, sorting and filters keep it,
 *   any function computing new values drops it) and be of the function's type: otherwise 400;
 * - the inputs merge into one series on their common grid (../stored-grid.ts), named like graphite-web's
 *   aggregates from the unique pathExpressions; an empty list gives no series;
 * - with `maxDataPoints`, cells merge across the base points consolidation would join, exactly as §7
 *   groups them, and the output already has consolidation's timestamps and step. §7 takes its range over
 *   the whole response; a function sees only its own inputs, so it uses their range: the same whenever the
 *   response's targets share their grid (a Grafana panel's usually do). Where another target widens the
 *   range, the final consolidation may join these points once more, by average;
 * - a point with no cells is null, and so is a joined point whose share of base points with cells is
 *   below the request's xFilesFactor.
 */
import type { Row } from "../../timeseries/store.js";
import { commonTags, createSeries, formatG, joinPathExpressions, NULL, type Series } from "../series.js";
import { argError } from "./errors.js";
import { req, seriesList } from "./params.js";
import { weightedPercentile } from "./percentile.js";
import { defineFunction, type EvalContext } from "./registry.js";
import { gridOf, groupingFor, outputIndex, type Grouping } from "./stored-grid.js";

/** Checks that every series is a stored one of `type`; a clear 400 otherwise. */
function checkStored(fn: string, list: readonly Series[], type: string): void {
  for (const s of list) {
    if (!s.origin) {
      throw argError(
        fn,
        "seriesList",
        `${s.name} is computed, not read from a store; ${fn} reads the stored cells, so give it paths (alias, group, sorting and filters may wrap them)`,
      );
    }
    if (s.origin.type !== type) {
      throw argError(fn, "seriesList", `${s.name} is stored as ${s.origin.type} (schema ${s.origin.schema}); ${fn} reads ${type} schemas only`);
    }
  }
}

interface Merged<C> {
  grouping: Grouping;
  /** One accumulator per output point, undefined where no cell landed. */
  cells: (C | undefined)[];
  /** Base points with at least one cell, per output point (for xFilesFactor). */
  filled: number[];
}

/**
 * Reads every input's cells and folds them into one accumulator per output point. A row lands on the base
 * point of its sub-bucket (the point's timestamp), only inside its own series' range.
 */
async function mergeCells<C>(
  ctx: EvalContext,
  fn: string,
  list: readonly Series[],
  add: (acc: C | undefined, row: Row) => C,
): Promise<Merged<C>> {
  if (!ctx.readCells) throw new Error(`${fn}: the evaluator gave no readCells`);
  const grid = gridOf(list);
  const grouping = groupingFor(grid, ctx.maxDataPoints);
  // Each series' own points, (start − step, end − step]: the range readCells is asked for, in its terms.
  let from = Infinity;
  let until = -Infinity;
  for (const s of list) {
    from = Math.min(from, s.start - s.step);
    until = Math.max(until, s.end - s.step);
  }
  const rows = await ctx.readCells(
    list.map((s) => s.origin!),
    from,
    until,
  );
  const cells: (C | undefined)[] = new Array(grouping.count).fill(undefined);
  const filledBase = new Uint8Array(grid.length);
  list.forEach((s, i) => {
    for (const row of rows[i] ?? []) {
      const t = row[1];
      if (t < s.start || t >= s.end) continue;
      const base = Math.floor((t - grid.start) / grid.step);
      const k = outputIndex(grouping, base);
      if (k < 0) continue;
      cells[k] = add(cells[k], row);
      filledBase[base] = 1;
    }
  });
  const filled = new Array<number>(grouping.count).fill(0);
  for (let base = 0; base < grid.length; base++) {
    if (!filledBase[base]) continue;
    const k = outputIndex(grouping, base);
    if (k >= 0) filled[k]++;
  }
  return { grouping, cells, filled };
}

/** The one output series: graphite-web's aggregate name and tags, consolidation's grid. */
function output<C>(ctx: EvalContext, fn: string, list: readonly Series[], name: string, m: Merged<C>, value: (c: C) => number): Series {
  const xff = ctx.xFilesFactor ?? 0;
  const values = new Float64Array(m.grouping.count);
  for (let k = 0; k < values.length; k++) {
    const c = m.cells[k];
    values[k] = c === undefined || m.filled[k] / m.grouping.vpp < xff ? NULL : value(c);
  }
  const tags = commonTags([...list]);
  if (!("name" in tags)) tags.name = name;
  tags.aggregatedBy = fn;
  const grid = gridOf(list);
  return {
    ...createSeries({ name, start: m.grouping.start, end: grid.end, step: m.grouping.step, values, tags }),
    xFilesFactor: xff,
  };
}

defineFunction({
  name: "histogramPercentile",
  group: "Beyond Graphite",
  description:
    "The exact n-th percentile of the stored histogram cells, merged across the series and across the buckets maxDataPoints joins (graphite-web's nPercentile rank rule).",
  params: [seriesList, req("n", "float")],
  impl: async (ctx, list: Series[], n: number) => {
    if (!(n >= 0 && n <= 100)) throw argError("histogramPercentile", "n", `must be between 0 and 100, got ${formatG(n)}`);
    if (list.length === 0) return [];
    checkStored("histogramPercentile", list, "histogram");
    const merged = await mergeCells<Map<number, number>>(ctx, "histogramPercentile", list, (acc, row) => {
      const out = acc ?? new Map<number, number>();
      const v = Number(row[2]);
      const c = row[3] ?? 0;
      // A member that is not a number (a write_func may store text) has no rank; it is left out.
      if (Number.isFinite(v) && c > 0) out.set(v, (out.get(v) ?? 0) + c);
      return out;
    });
    const name = `histogramPercentile(${joinPathExpressions(list)},${formatG(n)})`;
    return [output(ctx, "histogramPercentile", list, name, merged, (c) => weightedPercentile(c, n))];
  },
});

defineFunction({
  name: "distinctCount",
  group: "Beyond Graphite",
  description: "The number of distinct stored set members, unioned across the series and across the buckets maxDataPoints joins (not a sum of per-bucket counts).",
  params: [seriesList],
  impl: async (ctx, list: Series[]) => {
    if (list.length === 0) return [];
    checkStored("distinctCount", list, "set");
    const merged = await mergeCells<Set<string>>(ctx, "distinctCount", list, (acc, row) => (acc ?? new Set<string>()).add(String(row[2])));
    const name = `distinctCount(${joinPathExpressions(list)})`;
    return [output(ctx, "distinctCount", list, name, merged, (c) => c.size)];
  },
});
