import { quote } from "../timeseries/errors.js";
import type { MacroSpec } from "../config/index.js";
import type { Runtime, RuntimeSchema } from "../runtime/runtime.js";
import { BUILTIN_TRANSFORMS, type Interval, type SeriesOptions, type SeriesResult, type TransformFn, type TransformOption } from "../timeseries/index.js";
import { parseBoolean, parseSteps } from "./params.js";
import { QueryError, QueryErrorCodes, badParameter } from "./query-error.js";
import type { SeriesCache } from "./series-cache.js";
import { parseStatExpression } from "./stat-expression.js";
import { parseTime, type TimeContext } from "./time-parse.js";

export type Format = "graphite" | "json";

/** The request-wide parameters of a read, as given (strings), before any macro overrides them. */
export interface ReadParams {
  format?: string;
  condense?: string | boolean;
  collapse?: string | boolean;
  schema?: string;
  interval?: string;
  start?: string | number;
  end?: string | number;
  steps?: string | number;
}

/**
 * One `stat` parameter resolved to what to read: the schema that answers it,
 * the interval, the bucket range and the library's read options. Shared by
 * `/series` and (later) Graphite's `/render`, which only format differently.
 */
export interface ResolvedStat {
  readonly stat: string;
  /** The function as given (`avg`, a TRANSFORMS or MACROS name), or null. */
  readonly func: string | null;
  /** What the entry reports as its function: the given one, else "mean" for graphite. */
  readonly functionLabel: string | null;
  readonly names: readonly string[];
  /** Null when no schema matches: the entry then has empty datapoints. */
  readonly schema: RuntimeSchema | null;
  readonly interval: Interval | null;
  readonly format: Format;
  /** Bucket starts, oldest first (empty when no schema matched). */
  readonly buckets: readonly number[];
  /** Read options for `Timeseries.series`, range excluded. */
  readonly read: SeriesOptions;
  /** False when its macro says `cache: false`: the response cache must not keep it. */
  readonly cacheable: boolean;
}

export interface ResolveContext {
  readonly runtime: Runtime;
  readonly time: TimeContext;
  /** `/series` responses by resolved request; none: every request reads the stores. */
  readonly cache?: SeriesCache | null;
}

const BUILTINS = new Set<string>(BUILTIN_TRANSFORMS);

function parseFormat(v: string | undefined): Format {
  if (v === undefined || v === "" || v === "graphite") return "graphite";
  if (v === "json") return "json";
  throw badParameter("format", `expected graphite or json, got ${quote(v)}`);
}

function unknownFunction(name: string, runtime: Runtime, where = "stat"): QueryError {
  const custom = [...Object.keys(runtime.config.transforms), ...Object.keys(runtime.config.macros)];
  return new QueryError(
    400,
    QueryErrorCodes.UNKNOWN_FUNCTION,
    `${where}: unknown function ${quote(name)} (built-ins: ${BUILTIN_TRANSFORMS.join(", ")}${custom.length ? `; configured: ${custom.join(", ")}` : ""})`,
    where,
  );
}

/** A macro's `transform` may name TRANSFORMS entries; the library only knows built-ins and functions. */
function macroTransform(t: MacroSpec["transform"], runtime: Runtime, macro: string): TransformOption | undefined {
  if (t === undefined || t === null) return undefined;
  const one = (x: string | TransformFn): string | TransformFn => {
    if (typeof x === "function") return x;
    const custom = runtime.config.transforms[x];
    if (custom) return custom;
    if (BUILTINS.has(x)) return x;
    throw unknownFunction(x, runtime, `macro ${quote(macro)}: transform`);
  };
  if (typeof t === "string" || typeof t === "function") return one(t);
  if (Array.isArray(t)) return t.map(one);
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, one(v as string | TransformFn)]));
}

/** The schema that answers: the forced one (404 if unknown), else the first whose match hits the first name. */
export function pickSchema(runtime: Runtime, names: readonly string[], forced: string | undefined): RuntimeSchema | null {
  if (forced !== undefined && forced !== "") {
    const s = runtime.schema(forced);
    if (!s) throw new QueryError(404, QueryErrorCodes.UNKNOWN_SCHEMA, `schema: unknown schema ${quote(forced)} (have ${runtime.schemas.map((x) => x.compiled.name).join(", ") || "none"})`, "schema");
    return s;
  }
  for (const s of runtime.schemas) if (s.compiled.matches(names[0])) return s;
  return null;
}

/** Check names are not absurd before they reach a store: nothing longer than karbon accepts can be stored. */
export function checkStatName(name: string, runtime: Runtime, field = "stat"): void {
  const max = runtime.config.maxLineLength;
  if (name.length > max) throw badParameter(field, `stat name of ${name.length} characters is longer than the ${max} karbon accepts (MAX_LINE_LENGTH)`);
}

/**
 * Bucket starts of the requested range by kairos's rules, refusing more
 * than MAX_BUCKETS before anything is allocated.
 */
export function bucketRange(iv: Interval, start: number | null, end: number | null, steps: number | undefined, now: number, maxBuckets: number): number[] {
  if (start !== null && end !== null) {
    const n = iv.step.index(end) - iv.step.index(start) + 1;
    if (n < 1) throw badParameter("end", `end (${end}) is before start (${start})`);
    if (n > maxBuckets) {
      throw new QueryError(400, QueryErrorCodes.TOO_MANY_BUCKETS, `start..end spans ${n} ${iv.name} buckets, more than the configured maximum of ${maxBuckets} (MAX_BUCKETS); narrow the range or use a coarser interval`, "start");
    }
  }
  const n = steps ?? iv.steps ?? 1;
  if ((start === null || end === null) && n > maxBuckets) {
    throw new QueryError(400, QueryErrorCodes.TOO_MANY_BUCKETS, `interval ${quote(iv.name)} keeps ${n} buckets, more than the configured maximum of ${maxBuckets} (MAX_BUCKETS); pass steps`, "steps");
  }
  return iv.range({ start, end, steps: n }, now);
}

/** Resolve one `stat` parameter against the request's parameters and the configuration. */
export function resolveStat(stat: string, params: ReadParams, ctx: ResolveContext): ResolvedStat {
  const { runtime, time } = ctx;
  const config = runtime.config;
  const expr = parseStatExpression(stat);
  for (const n of expr.names) checkStatName(n, runtime);
  let p: ReadParams = params;
  const read: SeriesOptions = {};
  let macro: MacroSpec | undefined;
  if (expr.func !== null) {
    macro = Object.hasOwn(config.macros, expr.func) ? config.macros[expr.func] : undefined;
    if (macro) {
      // Every macro field other than the read functions overrides the query's parameter of that name.
      p = { ...params };
      for (const key of ["format", "schema", "interval", "start", "end", "steps"] as const) {
        if (macro[key] !== undefined) (p as Record<string, unknown>)[key] = macro[key];
      }
      if (typeof macro.condense === "boolean") p.condense = macro.condense;
      else if (typeof macro.condense === "function") read.condense = macro.condense;
      if (typeof macro.collapse === "boolean") p.collapse = macro.collapse;
      else if (typeof macro.collapse === "function") read.collapse = macro.collapse;
      const t = macroTransform(macro.transform, runtime, expr.func);
      if (t !== undefined) read.transform = t;
      if (macro.fetch) read.fetch = macro.fetch as SeriesOptions["fetch"];
      if (macro.process_row) read.process_row = macro.process_row;
      if (macro.join_rows) read.join_rows = macro.join_rows;
    } else if (Object.hasOwn(config.transforms, expr.func)) {
      read.transform = config.transforms[expr.func];
    } else if (BUILTINS.has(expr.func)) {
      read.transform = expr.func;
    } else {
      throw unknownFunction(expr.func, runtime);
    }
  }
  const format = parseFormat(p.format);
  let functionLabel = expr.func;
  if (format === "graphite" && expr.func === null) {
    read.transform = "mean";
    functionLabel = "mean";
  }
  // Graphite datapoints are one value per bucket, so resolutions are always folded there.
  if (read.condense === undefined) read.condense = format === "graphite" ? true : (parseBoolean(p.condense, "condense") ?? false);
  if (read.collapse === undefined) read.collapse = parseBoolean(p.collapse, "collapse") ?? false;
  const steps = parseSteps(p.steps, config.maxBuckets);
  const start = p.start === undefined || p.start === "" ? null : parseTime(p.start, "start", time);
  const end = p.end === undefined || p.end === "" ? null : parseTime(p.end, "end", time);

  const schema = pickSchema(runtime, expr.names, p.schema);
  const cacheable = macro?.cache !== false;
  if (!schema) return { stat, func: expr.func, functionLabel, names: expr.names, schema: null, interval: null, format, buckets: [], read, cacheable };
  const interval = p.interval !== undefined && p.interval !== "" ? schema.series.interval(p.interval) : schema.series.intervals[0];
  const buckets = bucketRange(interval, start, end, steps, time.now, config.maxBuckets);
  return { stat, func: expr.func, functionLabel, names: expr.names, schema, interval, format, buckets, read, cacheable };
}

/** Read a resolved stat: bucket start → data (one entry keyed by the first bucket when collapsed). */
export async function readResolved(r: ResolvedStat): Promise<SeriesResult> {
  if (!r.schema || !r.interval || r.buckets.length === 0) return new Map();
  return r.schema.series.series(r.names, r.interval.name, {
    ...r.read,
    start: r.buckets[0],
    end: r.buckets[r.buckets.length - 1],
  });
}
