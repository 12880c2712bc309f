/**
 * A path expression → the series `/render` evaluates (SPEC §10, reference §2.2): the matched leaf names,
 * each answered by the first schema whose `match` hits it, at the finest interval whose retention covers
 * `now − from` (else the one that reaches furthest back), read through the PointSource grouped per
 * (schema, interval), with whisper's point alignment.
 *
 * Only intervals whose points sit on a fixed grid of seconds since the epoch can give a Graphite series
 * (`start + i·step`): relative steps and `daily`, or any step whose `resolution` is one of those (the
 * sub-buckets are then the points). `weekly`, `monthly` and `yearly` points are skipped; a schema with
 * nothing else gives its names no series.
 */
import { defaultConsolidation } from "../../graphite/consolidate.js";
import { compileTagQuery } from "../../graphite/tags/tag-expression.js";
import { tagSearch } from "./tag-search.js";
import { alignRange, clampFetchRange } from "../../graphite/graphite-time.js";
import { compareNames } from "../../graphite/path-glob.js";
import { RenderBudget } from "../../graphite/functions/budget.js";
import { NULL, parseTags, type Series, type SeriesOrigin } from "../../graphite/series.js";
import type { Runtime, RuntimeSchema } from "../../runtime/runtime.js";
import type { Calendar, Interval, Row } from "../../timeseries/index.js";
import { waitForStore } from "../resolve/store-wait.js";
import type { NameSource, PointSource } from "./graphite-data.js";

/** One interval a schema can answer `/render` from: its point step and how far back it reaches. */
export interface RenderInterval {
  readonly interval: Interval;
  /** Seconds between points: the resolution's when there is one, else the step's. */
  readonly pointStep: number;
  /** Seconds of history kept (steps × step), Infinity when it keeps everything. */
  readonly retention: number;
}

const fixedGrid = (c: Calendar): boolean => !c.gregorian || c.spec === "daily";

const candidatesBySchema = new WeakMap<RuntimeSchema, RenderInterval[]>();

/** The schema's intervals that can give Graphite points, finest first (declaration order on ties). */
export function renderIntervals(schema: RuntimeSchema): RenderInterval[] {
  let out = candidatesBySchema.get(schema);
  if (out) return out;
  out = [];
  for (const interval of schema.series.intervals) {
    const points = interval.resolution ?? interval.step;
    if (!fixedGrid(points)) continue;
    const retention = interval.steps === null ? Infinity : interval.steps * interval.step.seconds;
    out.push({ interval, pointStep: points.seconds, retention });
  }
  out.sort((a, b) => a.pointStep - b.pointStep);
  candidatesBySchema.set(schema, out);
  return out;
}

/** Whisper's archive choice: the finest whose retention covers `now − from`, else the one reaching furthest back. */
export function chooseRenderInterval(schema: RuntimeSchema, from: number, now: number): RenderInterval | null {
  const candidates = renderIntervals(schema);
  if (candidates.length === 0) return null;
  const wanted = now - from;
  for (const c of candidates) if (c.retention >= wanted) return c;
  let best = candidates[0];
  for (const c of candidates) if (c.retention > best.retention || (c.retention === best.retention && c.pointStep > best.pointStep)) best = c;
  return best;
}

/**
 * What one request may read and make (RENDER_MAX_SERIES, RENDER_MAX_POINTS), summed over every path it
 * fetches (refetches by movingAverage, timeShift, … included) and every function's new values. Reads are
 * charged before any store is asked, so a glob over 100,000 names or a `timeStack` of a thousand copies is
 * a 400, not a hang.
 */
export { RenderBudget };

export function renderBudget(runtime: Runtime): RenderBudget {
  return new RenderBudget(runtime.config.renderMaxSeries, runtime.config.renderMaxPoints);
}

export interface PathFetchDeps {
  readonly runtime: Runtime;
  readonly names: NameSource;
  readonly points: PointSource;
  /** The request's now: `until` is clamped to it and retention is counted back from it. */
  readonly now: number;
  readonly budget: RenderBudget;
  /** The request's xFilesFactor, copied onto every fetched series. */
  readonly xFilesFactor: number;
}

/** One (schema, interval) read of a fetch: the names and the aligned point range they share. */
interface Group {
  schema: RuntimeSchema;
  choice: RenderInterval;
  start: number;
  end: number;
  names: string[];
}

/** Where a name is answered from for a range, or null when it gives no series (no schema, no usable interval, all in the future). */
function placeName(runtime: Runtime, name: string, from: number, until: number, now: number): Omit<Group, "names"> | null {
  const schema = runtime.matching(name)[0];
  if (!schema) return null;
  const choice = chooseRenderInterval(schema, from, now);
  if (!choice) return null;
  const clamped = clampFetchRange(from, until, now, choice.retention);
  if (!clamped) return null;
  const { start, end } = alignRange(clamped.from, clamped.until, choice.pointStep);
  return { schema, choice, start, end };
}

function groupNames(runtime: Runtime, names: readonly string[], from: number, until: number, now: number): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const name of names) {
    const place = placeName(runtime, name, from, until, now);
    if (!place) continue;
    const key = `${place.schema.compiled.name}\u0000${place.choice.interval.name}\u0000${place.start}`;
    const g = groups.get(key);
    if (g) g.names.push(name);
    else groups.set(key, { ...place, names: [name] });
  }
  return groups;
}

/** The stored leaf names a path expression matches (every schema's names), bounded by the budget. */
export function matchLeaves(expression: string, deps: PathFetchDeps): string[] {
  const limit = deps.budget.remainingNames() + 1;
  const found = deps.names.index().find(expression, { limit });
  const leaves: string[] = [];
  for (const n of found.nodes) if (n.leaf) leaves.push(n.path);
  // A truncated walk has at least `limit` matches: more than the budget allows, leaves or not.
  deps.budget.takeNames(found.truncated ? Math.max(limit, leaves.length) : leaves.length, expression);
  return leaves;
}

/**
 * The series of one path expression over (from, until]: one per matched leaf that a schema answers,
 * sorted by path, named by the path, with `pathExpression` the expression as typed.
 */
export async function fetchPath(expression: string, from: number, until: number, deps: PathFetchDeps): Promise<Series[]> {
  // Globs need the first listing; `seriesByTag` alone does not (the stores' tag index answers meanwhile).
  await deps.names.ready();
  return fetchNames(matchLeaves(expression, deps), expression, from, until, deps);
}

/** `seriesByTag`: the tagged names matching every expression, fetched as `fetchPath` fetches leaves. */
export async function fetchTagged(expressions: string[], from: number, until: number, deps: PathFetchDeps): Promise<Series[]> {
  const query = compileTagQuery(expressions);
  const names = await (await tagSearch({ runtime: () => deps.runtime, names: deps.names })).find(query);
  const label = `seriesByTag(${expressions.map((e) => `'${e}'`).join(",")})`;
  deps.budget.takeNames(names.length, label);
  return fetchNames(names, label, from, until, deps);
}

/** The series of the given stored names (sorted by name), each with `pathExpression` = `expression`. */
async function fetchNames(leaves: string[], expression: string, from: number, until: number, deps: PathFetchDeps): Promise<Series[]> {
  if (leaves.length === 0) return [];
  const groups = groupNames(deps.runtime, leaves, from, until, deps.now);
  for (const g of groups.values()) deps.budget.takePoints(g.names.length * ((g.end - g.start) / g.choice.pointStep), expression);
  const ms = deps.runtime.config.queryTimeoutMs;
  const parts = await Promise.all(
    [...groups.values()].map(async (g) => {
      const iv = g.choice.interval;
      const step = g.choice.pointStep;
      const first = iv.bucketOf(g.start);
      const last = iv.bucketOf(g.end - step);
      const read = await waitForStore(deps.points.read({ schema: g.schema, interval: iv, names: g.names, first, last }), g.schema, ms);
      const consolidationFunc = defaultConsolidation(g.schema.series.type.name);
      return g.names.map((name, i): Series => {
        const origin: SeriesOrigin = { schema: g.schema.compiled.name, interval: iv.name, name, type: g.schema.series.type.name };
        return {
          name,
          tags: parseTags(name),
          start: g.start,
          end: g.end,
          step,
          values: onGrid(read[i], g.start, g.end, step),
          pathExpression: expression,
          consolidationFunc,
          valuesPerPoint: 1,
          xFilesFactor: deps.xFilesFactor,
          origin,
        };
      });
    }),
  );
  const out = parts.flat().sort((a, b) => compareNames(a.name, b.name));
  deps.budget.adopt(out);
  return out;
}

/** The points at start, start+step, … before end, taken from what the source returned (NaN where it has none). */
function onGrid(points: { start: number; step: number; values: Float64Array } | undefined, start: number, end: number, step: number): Float64Array {
  const n = (end - start) / step;
  if (points && points.step === step && points.start === start && points.values.length === n) return points.values;
  const out = new Float64Array(n).fill(NULL);
  if (!points) return out;
  for (let i = 0; i < n; i++) {
    const j = (start + i * step - points.start) / points.step;
    if (Number.isInteger(j) && j >= 0 && j < points.values.length) out[i] = points.values[j];
  }
  return out;
}

/**
 * The stored rows behind fetched series (`EvalContext.readCells`): one array per origin, as `Store.read`
 * gives them, for the buckets whose points lie in (from, until] by the same alignment as the fetch.
 */
export async function readOriginCells(origins: readonly SeriesOrigin[], from: number, until: number, deps: PathFetchDeps): Promise<Row[][]> {
  const out: Row[][] = origins.map(() => []);
  const ms = deps.runtime.config.queryTimeoutMs;
  const groups = new Map<string, { schema: RuntimeSchema; iv: Interval; start: number; end: number; step: number; names: string[]; at: number[] }>();
  origins.forEach((o, at) => {
    const schema = deps.runtime.schema(o.schema);
    const choice = schema ? renderIntervals(schema).find((c) => c.interval.name === o.interval) : undefined;
    if (!schema || !choice) return;
    const clamped = clampFetchRange(from, until, deps.now, choice.retention);
    if (!clamped) return;
    const { start, end } = alignRange(clamped.from, clamped.until, choice.pointStep);
    const key = `${o.schema}\u0000${o.interval}\u0000${start}\u0000${end}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { schema, iv: choice.interval, start, end, step: choice.pointStep, names: [], at: [] }));
    g.names.push(o.name);
    g.at.push(at);
  });
  await Promise.all(
    [...groups.values()].map(async (g) => {
      deps.budget.takePoints(g.names.length * ((g.end - g.start) / g.step), g.names[0]);
      const first = g.iv.bucketOf(g.start);
      const last = g.iv.bucketOf(g.end - g.step);
      const rows = await waitForStore(g.schema.store.read(g.schema.series.ns, g.names, g.iv.name, first, last), g.schema, ms);
      // A row's point is its sub-bucket (the bucket itself when the interval has no resolution).
      g.at.forEach((at, i) => {
        out[at] = (rows[i] ?? []).filter((r) => r[1] >= g.start && r[1] < g.end);
      });
    }),
  );
  return out;
}
