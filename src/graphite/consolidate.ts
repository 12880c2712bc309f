/**
 * maxDataPoints consolidation (reference §7), run after all functions on each output series of a JSON
 * render, plus Torus's default consolidation per schema type.
 */
import { consolidateRuns, maxOf, minOf, type ConsolidationFunc, type Series } from "./series.js";

/**
 * Beyond Graphite: a count schema's buckets are totals, so joining them must add (`sum`); everything else
 * averages, as graphite-web does for every series. The caller sets it per series from the schema's type.
 */
export function defaultConsolidation(schemaType: string): ConsolidationFunc {
  return schemaType === "count" ? "sum" : "average";
}

/** One consolidated output series: its values, first timestamp and step (= vpp·step). */
export interface Consolidated {
  /** `valuesPerPoint` records how many stored points each value joins; `datapoints(series)` pairs them. */
  series: Series;
  /** Timestamps of the values, `start + k·step` up to `end`: what `datapoints(series)` pairs them with. */
  timestamps: number[];
}

/**
 * graphite-web's maxDataPoints handling for a whole response: `range = max(end) − min(start)` over all
 * series; mdp 1 folds each series to one value; otherwise vpp = ceil((range/step)/mdp), the start is nudged
 * to the next multiple of vpp·step, floor(nudge/step) − 1 values are dropped, runs of vpp consolidated.
 * A series that needs no consolidation is returned as is.
 */
export function consolidateForMaxDataPoints(list: Series[], maxDataPoints: number): Consolidated[] {
  if (list.length === 0) return [];
  const start = minOf(list.map((s) => s.start));
  const end = maxOf(list.map((s) => s.end));
  const range = end - start;
  return list.map((s) => consolidateOne(s, maxDataPoints, range));
}

function timestampsOf(start: number, step: number, end: number, count: number): number[] {
  const out: number[] = [];
  for (let t = start; t <= end && out.length < count; t += step) out.push(t);
  return out;
}

function consolidateOne(s: Series, mdp: number, range: number): Consolidated {
  const xff = s.xFilesFactor;
  if (mdp === 1) {
    const vpp = Math.max(1, s.values.length);
    const values = consolidateRuns(s.values, vpp, s.consolidationFunc, xff);
    const series = { ...s, values, valuesPerPoint: vpp, step: vpp * s.step };
    return { series, timestamps: timestampsOf(s.start, series.step, Math.max(s.end, s.start), values.length) };
  }
  const points = range / s.step;
  if (!Number.isFinite(mdp) || mdp <= 0 || points <= mdp) {
    return { series: s, timestamps: timestampsOf(s.start, s.step, s.end, s.values.length) };
  }
  const vpp = Math.ceil(points / mdp);
  const spp = vpp * s.step;
  const mod = (a: number, b: number): number => ((a % b) + b) % b;
  const nudge = spp + mod(s.start, s.step) - mod(s.start, spp);
  const newStart = s.start + nudge;
  const drop = Math.max(0, Math.floor(nudge / s.step) - 1);
  const values = consolidateRuns(s.values.subarray(Math.min(drop, s.values.length)), vpp, s.consolidationFunc, xff);
  const ts = timestampsOf(newStart, spp, s.end, values.length);
  const series: Series = { ...s, start: newStart, step: spp, values: values.subarray(0, ts.length), valuesPerPoint: vpp };
  return { series, timestamps: ts };
}
