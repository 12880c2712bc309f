import { quote } from "../../timeseries/errors.js";
import type { MacroSpec } from "../../config/index.js";
import type { Runtime, RuntimeSchema } from "../../runtime/runtime.js";
import { BUILTIN_TRANSFORMS, ErrorCodes, TorusError, type Interval, type SeriesOptions, type SeriesResult, type TransformFn, type TransformOption } from "../../timeseries/index.js";
import { parseBoolean, parseChoice, parseSteps } from "../http/params.js";
import { QueryError, QueryErrorCodes, badParameter } from "../query-error.js";
import { parseStatExpression } from "./stat-expression.js";
import { parseTime, type TimeContext } from "../../time/time-parse.js";

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
  /** The request's running totals against MAX_BUCKETS and MAX_STATS; none: each stat is checked alone. */
  readonly budget?: RequestBudget | null;
}

const BUILTINS = new Set<string>(BUILTIN_TRANSFORMS);
const FORMATS = ["graphite", "json"] as const;

/**
 * What one request may read, summed over its stats: stat names (each name
 * of a join counts) against MAX_STATS, and names × buckets against
 * MAX_BUCKETS. Taken while the stats resolve — before any bucket list is
 * allocated and before any store is read — so 300 stats in a 3 KB URL cost
 * a 400, not the heap.
 */
export class RequestBudget {
  names = 0;
  buckets = 0;

  constructor(
    readonly maxBuckets: number,
    readonly maxStats: number,
  ) {}

  static of(runtime: Runtime): RequestBudget {
    return new RequestBudget(runtime.config.maxBuckets, runtime.config.maxStats);
  }

  takeNames(n: number): void {
    this.names += n;
    if (this.names > this.maxStats) {
      throw new QueryError(
        400,
        QueryErrorCodes.TOO_MANY_STATS,
        `stat: this request reads ${this.names} or more stat names (each name of a join counts), more than the configured maximum of ${this.maxStats} per request (MAX_STATS)`,
        "stat",
      );
    }
  }

  takeBuckets(n: number): void {
    this.buckets += n;
    if (this.buckets > this.maxBuckets) {
      throw new QueryError(
        400,
        QueryErrorCodes.TOO_MANY_BUCKETS,
        `this request reads ${this.buckets} or more buckets (stat names × buckets, summed over its stats), more than the configured maximum of ${this.maxBuckets} per request (MAX_BUCKETS); ask for fewer stats, fewer steps or a coarser interval`,
        "steps",
      );
    }
  }
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

function unknownSchema(runtime: Runtime, name: string, field: string): QueryError {
  return new QueryError(404, QueryErrorCodes.UNKNOWN_SCHEMA, `${field}: unknown schema ${quote(name)} (have ${runtime.schemas.map((x) => x.compiled.name).join(", ") || "none"})`, field);
}

/** The schema that answers: the forced one (404 if unknown), else the first whose match hits the first name. */
export function pickSchema(runtime: Runtime, names: readonly string[], forced: string | undefined): RuntimeSchema | null {
  if (forced !== undefined && forced !== "") {
    const s = runtime.schema(forced);
    if (!s) throw unknownSchema(runtime, forced, "schema");
    return s;
  }
  for (const s of runtime.schemas) if (s.compiled.matches(names[0])) return s;
  return null;
}

/** `a: minute, hour; b: second, minute`, shortened past a dozen schemas so a big config cannot flood a message. */
export function describeIntervals(schemas: readonly RuntimeSchema[]): string {
  const shown = schemas.slice(0, 12).map((s) => `${s.compiled.name}: ${s.series.intervals.map((i) => i.name).join(", ")}`);
  return shown.join("; ") + (schemas.length > 12 ? `; and ${schemas.length - 12} more` : "");
}

const intervalOf = (s: RuntimeSchema, name: string): Interval | undefined => s.series.intervals.find((i) => i.name === name);

function unknownInterval(message: string, value: string, field: string): TorusError {
  return new TorusError(ErrorCodes.UNKNOWN_INTERVAL, `${field}: ${message}`, { field, value });
}

/** Which schema answers, at which interval. */
export interface SchemaChoice {
  readonly schema: RuntimeSchema;
  readonly interval: Interval;
}

/**
 * The seed's rule (SPEC §5): the schema named by `schema`; else, with
 * `interval`, the first matching schema (declaration order) that has that
 * interval; else the first matching schema at its first interval. Null when
 * no schema matches (the entry then has no datapoints). A 400 comes only
 * when no schema it looked at has the interval, and names each of them with
 * its intervals. For a stat no schema matches, `interval` is still checked
 * against every configured schema, so a typo is never answered with an
 * empty 200.
 */
export function chooseSchema(
  runtime: Runtime,
  names: readonly string[],
  forced: string | undefined,
  interval: string | undefined,
  fields: { schema: string; interval: string } = { schema: "schema", interval: "interval" },
): SchemaChoice | null {
  const wanted = interval === undefined || interval === "" ? undefined : interval;
  if (forced !== undefined && forced !== "") {
    const schema = runtime.schema(forced);
    if (!schema) throw unknownSchema(runtime, forced, fields.schema);
    if (wanted === undefined) return { schema, interval: schema.series.intervals[0] };
    const iv = intervalOf(schema, wanted);
    if (iv) return { schema, interval: iv };
    throw unknownInterval(`unknown interval ${quote(wanted)}: schema ${quote(forced)} has ${schema.series.intervals.map((i) => i.name).join(", ")}`, wanted, fields.interval);
  }
  const matching = runtime.matching(names[0]);
  if (wanted === undefined) return matching.length ? { schema: matching[0], interval: matching[0].series.intervals[0] } : null;
  for (const schema of matching) {
    const iv = intervalOf(schema, wanted);
    if (iv) return { schema, interval: iv };
  }
  if (matching.length > 0) {
    throw unknownInterval(`unknown interval ${quote(wanted)} for ${quote(names[0])}: no schema matching it has one (looked at ${describeIntervals(matching)})`, wanted, fields.interval);
  }
  if (!runtime.schemas.some((s) => intervalOf(s, wanted))) {
    throw unknownInterval(`unknown interval ${quote(wanted)}: no configured schema has one (${describeIntervals(runtime.schemas) || "no schemas"})`, wanted, fields.interval);
  }
  return null;
}

/** Check names are not absurd before they reach a store: nothing longer than karbon accepts can be stored. */
export function checkStatName(name: string, runtime: Runtime, field = "stat"): void {
  const max = runtime.config.maxLineLength;
  if (name.length > max) throw badParameter(field, `stat name of ${name.length} characters is longer than the ${max} karbon accepts (MAX_LINE_LENGTH)`);
}

/**
 * A name a read or a delete may ask a store for. No store holds a NUL
 * (PostgreSQL refuses it outright), so it is a 400 here, never a store
 * error; a write learns the same from staging (`nul_byte`).
 */
export function checkReadName(name: string, runtime: Runtime, field = "stat"): void {
  checkStatName(name, runtime, field);
  if (name.includes("\u0000")) throw badParameter(field, `stat name ${quote(name.slice(0, 120))} holds a NUL character, which no store can hold`);
}

/**
 * How many buckets the requested range holds by kairos's rules, refusing
 * more than MAX_BUCKETS for one stat; counted, not allocated.
 */
export function bucketCount(iv: Interval, start: number | null, end: number | null, steps: number | undefined, maxBuckets: number): number {
  if (start !== null && end !== null) {
    const n = iv.step.index(end) - iv.step.index(start) + 1;
    if (n < 1) throw badParameter("end", `end (${end}) is before start (${start})`);
    if (n > maxBuckets) {
      throw new QueryError(400, QueryErrorCodes.TOO_MANY_BUCKETS, `start..end spans ${n} ${iv.name} buckets, more than the configured maximum of ${maxBuckets} (MAX_BUCKETS); narrow the range or use a coarser interval`, "start");
    }
    return n;
  }
  const n = steps ?? iv.steps ?? 1;
  if (n > maxBuckets) {
    throw new QueryError(400, QueryErrorCodes.TOO_MANY_BUCKETS, `interval ${quote(iv.name)} keeps ${n} buckets, more than the configured maximum of ${maxBuckets} (MAX_BUCKETS); pass steps`, "steps");
  }
  return n;
}

/** Bucket starts of the requested range by kairos's rules, refusing more than MAX_BUCKETS before anything is allocated. */
export function bucketRange(iv: Interval, start: number | null, end: number | null, steps: number | undefined, now: number, maxBuckets: number): number[] {
  const n = bucketCount(iv, start, end, steps, maxBuckets);
  return iv.range({ start, end, steps: n }, now);
}

/** Macro fields that override the query parameter of the same name. */
const OVERRIDES = ["format", "schema", "interval", "start", "end", "steps"] as const;

/** Resolve one `stat` parameter against the request's parameters and the configuration. */
export function resolveStat(stat: string, params: ReadParams, ctx: ResolveContext): ResolvedStat {
  const { runtime, time } = ctx;
  const config = runtime.config;
  const expr = parseStatExpression(stat);
  ctx.budget?.takeNames(expr.names.length);
  for (const n of expr.names) checkReadName(n, runtime);
  let p: ReadParams = params;
  const read: SeriesOptions = {};
  let macro: MacroSpec | undefined;
  // A value a macro supplied is reported as the macro's, so the operator knows what to fix.
  const fromMacro = new Set<string>();
  const field = (key: string) => (fromMacro.has(key) ? `macro ${quote(expr.func)}: ${key}` : key);
  if (expr.func !== null) {
    macro = Object.hasOwn(config.macros, expr.func) ? config.macros[expr.func] : undefined;
    if (macro) {
      // Every macro field other than the read functions overrides the query's parameter of that name.
      p = { ...params };
      for (const key of OVERRIDES) {
        if (macro[key] === undefined) continue;
        (p as Record<string, unknown>)[key] = macro[key];
        fromMacro.add(key);
      }
      for (const key of ["condense", "collapse"] as const) {
        const v = macro[key];
        if (typeof v === "function") read[key] = v;
        else if (v !== undefined) {
          p[key] = v as boolean | string;
          fromMacro.add(key);
        }
      }
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
  const format = parseChoice(p.format, field("format"), FORMATS, "graphite");
  let functionLabel = expr.func;
  if (format === "graphite" && expr.func === null) {
    read.transform = "mean";
    functionLabel = "mean";
  }
  // Both are checked whatever the format, so a bad value is never silently ignored.
  const condense = parseBoolean(p.condense, field("condense"));
  const collapse = parseBoolean(p.collapse, field("collapse"));
  // Graphite datapoints are one value per bucket, so resolutions are always folded there.
  if (read.condense === undefined) read.condense = format === "graphite" ? true : (condense ?? false);
  if (read.collapse === undefined) read.collapse = collapse ?? false;
  const steps = parseSteps(p.steps, config.maxBuckets, field("steps"));
  const start = p.start === undefined || p.start === "" ? null : parseTime(p.start, field("start"), time);
  const end = p.end === undefined || p.end === "" ? null : parseTime(p.end, field("end"), time);

  const choice = chooseSchema(runtime, expr.names, p.schema, p.interval, { schema: field("schema"), interval: field("interval") });
  const cacheable = macro?.cache !== false;
  if (!choice) return { stat, func: expr.func, functionLabel, names: expr.names, schema: null, interval: null, format, buckets: [], read, cacheable };
  const { schema, interval } = choice;
  // Counted and charged to the request before the bucket list exists.
  ctx.budget?.takeBuckets(bucketCount(interval, start, end, steps, config.maxBuckets) * expr.names.length);
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
