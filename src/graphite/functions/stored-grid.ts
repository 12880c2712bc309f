/**
 * Where the points of a function over stored cells go: the common grid of its inputs, and the grouping that
 * maxDataPoints consolidation (reference §7, ../consolidate.ts) would apply to that grid. A function that
 * merges cells per output point groups them here first, so its answer already sits where consolidation
 * puts points, and the consolidation after the last function finds nothing left to join.
 */
import { lcm, maxOf, minOf, type Series } from "../series.js";

/** The inputs' common grid: points at `start + i·step`, i < length; `end` is exclusive (whisper's). */
export interface Grid {
  start: number;
  step: number;
  length: number;
  end: number;
}

/**
 * `start` = the earliest input start, `step` = lcm of the steps (normalize's), `end` = the latest input end.
 * Points are placed by timestamp, not zipped by position as normalize does: cells carry their own time.
 */
export function gridOf(list: readonly Series[]): Grid {
  let step = list[0].step;
  for (const s of list) step = lcm(step, s.step);
  const start = minOf(list.map((s) => s.start));
  const last = maxOf(list.map((s) => s.end));
  const length = Math.max(0, Math.ceil((last - start) / step));
  return { start, step, length, end: last };
}

/** How base points join into output points: output k takes base points drop + k·vpp … drop + (k+1)·vpp − 1. */
export interface Grouping {
  /** Base points per output point (1: no consolidation). */
  vpp: number;
  /** Base points skipped at the front (graphite-web drops them, §7 step 3). */
  drop: number;
  /** Timestamp of output point 0, and the step between output points. */
  start: number;
  step: number;
  /** Number of output points. */
  count: number;
}

const mod = (a: number, b: number): number => ((a % b) + b) % b;

/**
 * The grouping consolidateForMaxDataPoints applies to a series on `grid` when it is the response's only
 * series (its range is then this grid's): mdp 1 folds everything into one point at `start`; more base points
 * than mdp give vpp = ceil(points/mdp), the start nudged to the next multiple of vpp·step, one fewer base
 * point dropped than the nudge covers, and output timestamps while ≤ end. Otherwise nothing joins.
 */
export function groupingFor(grid: Grid, maxDataPoints: number | undefined): Grouping {
  const none: Grouping = { vpp: 1, drop: 0, start: grid.start, step: grid.step, count: grid.length };
  if (maxDataPoints === undefined || !Number.isFinite(maxDataPoints) || maxDataPoints <= 0) return none;
  if (maxDataPoints === 1) {
    const vpp = Math.max(1, grid.length);
    return { vpp, drop: 0, start: grid.start, step: vpp * grid.step, count: grid.length === 0 ? 0 : 1 };
  }
  const points = (grid.end - grid.start) / grid.step;
  if (points <= maxDataPoints) return none;
  const vpp = Math.ceil(points / maxDataPoints);
  const spp = vpp * grid.step;
  const nudge = spp + mod(grid.start, grid.step) - mod(grid.start, spp);
  const start = grid.start + nudge;
  const drop = Math.min(grid.length, Math.max(0, Math.floor(nudge / grid.step) - 1));
  const runs = Math.ceil((grid.length - drop) / vpp);
  let count = 0;
  for (let t = start; t <= grid.end && count < runs; t += spp) count++;
  return { vpp, drop, start, step: spp, count };
}

/** The output point a base point joins, or -1 when consolidation drops it. */
export function outputIndex(g: Grouping, base: number): number {
  if (base < g.drop) return -1;
  const k = Math.floor((base - g.drop) / g.vpp);
  return k < g.count ? k : -1;
}
