/**
 * The render-function registry: every function declared once with its graphite-web name, group, parameter
 * list (the shape `/functions` serves, reference §1.7) and an implementation over already-evaluated
 * arguments. The evaluator (not here) turns a parsed target into {@link ArgValue}s and calls
 * {@link callFunction}; nothing in this module knows the target grammar.
 */
import type { Row } from "../../timeseries/store.js";
import type { Series, SeriesOrigin } from "../series.js";
export type { SeriesOrigin } from "../series.js";
import type { RenderBudget } from "./budget.js";
import { GraphiteFunctionError } from "./errors.js";

/** An evaluated argument: a series list, a number, a string, a boolean or Python's `None`. */
export type ArgValue = Series[] | number | string | boolean | null;

/** Serves series for a target expression (a path expression, or any target text) over [from, until]. */
export type FetchFn = (expression: string, from: number, until: number) => Promise<Series[]>;

/** What every call sees: the request's range and a way to fetch again (timeShift, movingX, …). */
export interface EvalContext {
  from: number;
  until: number;
  now: number;
  /** Fetches a target over another range; used with each input's pathExpression when `refetch` is absent. */
  fetch: FetchFn;
  /**
   * Re-evaluates the call's first argument over another range, as graphite-web's
   * `evaluateTarget(ctx, requestContext['args'][0])` does. The evaluator sets it per call when it can;
   * otherwise functions re-fetch each input's unique pathExpression through `fetch`.
   */
  refetch?: (from: number, until: number) => Promise<Series[]>;
  /** The request's `xFilesFactor` (graphite-web's DEFAULT_XFILES_FACTOR is 0); setXFilesFactor sets it. */
  xFilesFactor?: number;
  /**
   * Parses a `date` argument (timeSlice, verticalLine, linearRegression) as `from`/`until` are parsed.
   * Without it, only unix seconds, `now` and relative offsets (`-1h`, `now-1h`) are understood.
   */
  parseTime?: (text: string) => number;
  /** The request's `maxDataPoints` (none: no consolidation); functions over stored cells consolidate themselves by it. */
  maxDataPoints?: number;
  /**
   * Reads the stored rows behind fetched series (histogramPercentile, distinctCount): one array per
   * origin, rows as `Store.read` gives them, for the buckets whose points lie in (from, until].
   */
  readCells?: (origins: readonly SeriesOrigin[], from: number, until: number) => Promise<Row[][]>;
  /**
   * The request's bound on points read and made (RENDER_MAX_POINTS), shared by every call of the request.
   * None: each call is bounded alone by the default.
   */
  budget?: RenderBudget;
}

export type ParamType =
  | "seriesList"
  | "seriesLists"
  | "integer"
  | "float"
  | "string"
  | "boolean"
  | "interval"
  | "intOrInterval"
  | "intOrInf"
  | "node"
  | "nodeOrTag"
  | "tag"
  | "aggFunc"
  | "aggOrSeriesFunc"
  | "any"
  | "date";

export interface ParamDef {
  name: string;
  type: ParamType;
  required?: boolean;
  default?: string | number | boolean | null;
  multiple?: boolean;
  options?: (string | number)[];
  suggestions?: (string | number)[];
  /** The Python argument name in the `function` signature text, when it differs from the Param name. */
  argName?: string;
  /**
   * The Python signature default when the Param declares none (graphite-web: `highest(seriesList, n=1)`
   * with `n` required). Used for a missing argument and shown in `function`, never in `params`.
   */
  fallback?: string | number | boolean | null;
  /** Accept any number for an `integer` parameter (graphite-web, validating nothing by default, does). */
  anyNumber?: boolean;
}

export type FunctionGroup =
  | "Combine"
  | "Transform"
  | "Calculate"
  | "Filter Series"
  | "Filter Data"
  | "Sorting"
  | "Alias"
  | "Special"
  | "Graph"
  | "Beyond Graphite";

export type Impl = (ctx: EvalContext, ...args: any[]) => Series[] | Promise<Series[]>;

export interface FunctionDef {
  name: string;
  group: FunctionGroup;
  description: string;
  params: ParamDef[];
  impl: Impl;
  /** Other names for the same function (`sum` for `sumSeries`); they are listed separately in `/functions`. */
  aliases?: string[];
  /**
   * The implementation charges the points it makes to `ctx.budget` itself, before allocating them (a grid
   * of its own: summarize, the generators). Otherwise its new value arrays are charged when it returns.
   */
  chargesOutput?: boolean;
}

const registry = new Map<string, FunctionDef>();

/** Declares a function (module load time). A duplicate name is a programming error. */
export function defineFunction(def: FunctionDef): void {
  for (const name of [def.name, ...(def.aliases ?? [])]) {
    if (registry.has(name)) throw new Error(`render function ${name} declared twice`);
    registry.set(name, def);
  }
}

export function getFunction(name: string): FunctionDef | undefined {
  return registry.get(name);
}

/** Every declared name (aliases included), sorted. */
export function functionNames(): string[] {
  return [...registry.keys()].sort();
}

function isSeriesList(v: ArgValue): v is Series[] {
  return Array.isArray(v);
}

function describe(v: ArgValue): string {
  if (v === null) return "None";
  if (isSeriesList(v)) return "a series list";
  if (typeof v === "string") return `the string "${v}"`;
  return `${typeof v} ${String(v)}`;
}

/** Checks one value against a parameter type, converting where graphite-web does (an int where a float goes). */
function checkType(fn: string, p: ParamDef, v: ArgValue): ArgValue {
  const bad = (want: string): never => {
    throw new GraphiteFunctionError(
      "TORUS_ERR_GRAPHITE_ARG_TYPE",
      `${fn}: argument "${p.name}" must be ${want}, got ${describe(v)}`,
    );
  };
  if (v === null) {
    // None may stand for an optional single value, never for a required one or one of many.
    if ((p.required && p.default === undefined && p.fallback === undefined) || p.multiple) bad("given (not None)");
    return v;
  }
  switch (p.type) {
    case "seriesList":
    case "seriesLists":
      return isSeriesList(v) ? v : bad("a series list");
    case "integer":
      return typeof v === "number" && (Number.isInteger(v) || p.anyNumber) ? v : bad("an integer");
    case "intOrInf":
      return typeof v === "number" && (Number.isInteger(v) || v === Infinity) ? v : bad("an integer or inf");
    case "float":
      return typeof v === "number" ? v : bad("a number");
    case "string":
    case "interval":
    case "aggFunc":
    case "aggOrSeriesFunc":
    case "tag":
      return typeof v === "string" ? v : bad("a string");
    case "boolean":
      return typeof v === "boolean" ? v : typeof v === "number" ? v !== 0 : bad("a boolean");
    case "intOrInterval":
      return typeof v === "string" || (typeof v === "number" && Number.isInteger(v)) ? v : bad("an integer or an interval string");
    case "node":
      return typeof v === "number" && Number.isInteger(v) ? v : bad("a node number");
    case "nodeOrTag":
      return typeof v === "string" || (typeof v === "number" && Number.isInteger(v)) ? v : bad("a node number or a tag name");
    case "date":
      return typeof v === "string" || typeof v === "number" ? v : bad("a date");
    case "any":
      return v;
  }
}

/**
 * Binds positional and keyword arguments to a function's parameters, checks types and counts, fills defaults
 * and runs the implementation. A `multiple` parameter takes every remaining positional argument.
 */
export async function callFunction(
  ctx: EvalContext,
  name: string,
  positional: ArgValue[],
  keywords: Record<string, ArgValue> = {},
): Promise<Series[]> {
  const def = registry.get(name);
  if (!def) {
    throw new GraphiteFunctionError("TORUS_ERR_GRAPHITE_UNKNOWN_FUNCTION", `unknown function: ${name}`);
  }
  const args: ArgValue[] = [];
  let i = 0;
  for (const p of def.params) {
    if (p.multiple) {
      const rest = positional.slice(i).map((v) => checkType(name, p, v));
      if (keywords[p.name] !== undefined) rest.push(checkType(name, p, keywords[p.name]));
      if (p.required && rest.length === 0) {
        throw new GraphiteFunctionError("TORUS_ERR_GRAPHITE_ARG_COUNT", `${name}: missing argument "${p.name}"`);
      }
      args.push(...rest);
      i = positional.length;
      continue;
    }
    let v: ArgValue | undefined;
    if (i < positional.length) {
      v = positional[i++];
      if (keywords[p.name] !== undefined) {
        throw new GraphiteFunctionError("TORUS_ERR_GRAPHITE_ARG_COUNT", `${name}: argument "${p.name}" given twice`);
      }
    } else if (keywords[p.name] !== undefined) {
      v = keywords[p.name];
    }
    if (v === undefined) {
      if (p.default !== undefined) args.push(p.default);
      else if (p.fallback !== undefined) args.push(p.fallback);
      else if (p.required) {
        throw new GraphiteFunctionError("TORUS_ERR_GRAPHITE_ARG_COUNT", `${name}: missing argument "${p.name}"`);
      } else args.push(null);
      continue;
    }
    // An explicit None where the parameter has a default means the default (graphite-web's validator
    // lets None through; its functions then fail on it, a 500 we do not copy).
    if (v === null && p.default !== undefined && p.default !== null) args.push(p.default);
    else args.push(checkType(name, p, v));
  }
  if (i < positional.length) {
    throw new GraphiteFunctionError(
      "TORUS_ERR_GRAPHITE_ARG_COUNT",
      `${name}: takes at most ${def.params.length} arguments, got ${positional.length}`,
    );
  }
  for (const k of Object.keys(keywords)) {
    if (!def.params.some((p) => p.name === k)) {
      throw new GraphiteFunctionError("TORUS_ERR_GRAPHITE_UNKNOWN_KEYWORD", `${name}: unknown argument "${k}"`);
    }
  }
  const out = await def.impl(ctx, ...args);
  if (ctx.budget) {
    if (def.chargesOutput) ctx.budget.adopt(out);
    else ctx.budget.chargeNew(out, name);
  }
  return out;
}

function pyDefault(v: string | number | boolean | null): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "string") return `'${v}'`;
  if (v === Infinity) return "inf";
  return String(v);
}

/** graphite-web's `function` text (Python's argspec): `movingAverage(seriesList, windowSize, xFilesFactor=None)`. */
function signature(name: string, params: ParamDef[]): string {
  const parts = params.map((p) => {
    const arg = p.argName ?? p.name;
    if (p.multiple) return `*${arg}`;
    if (p.fallback !== undefined) return `${arg}=${pyDefault(p.fallback)}`;
    if (p.default !== undefined && p.default !== null) return `${arg}=${pyDefault(p.default)}`;
    return p.required ? arg : `${arg}=None`;
  });
  return `${name}(${parts.join(", ")})`;
}

/** A param as `/functions` shows it (graphite-web's Param.toJSON: no null default, no internal fields). */
function publicParam(p: ParamDef): ParamDef {
  const out: ParamDef = { name: p.name, type: p.type };
  if (p.required) out.required = true;
  if (p.default !== undefined && p.default !== null) out.default = jsonSafe(p.default);
  if (p.multiple) out.multiple = true;
  if (p.options) out.options = [...p.options];
  if (p.suggestions) out.suggestions = [...p.suggestions];
  return out;
}

export interface FunctionInfo {
  name: string;
  function: string;
  description: string;
  module: string;
  group: string;
  params: ParamDef[];
}

export function functionInfo(name: string): FunctionInfo | undefined {
  const def = registry.get(name);
  if (!def) return undefined;
  return {
    name,
    function: signature(name, def.params),
    description: def.description,
    module: def.group === "Beyond Graphite" ? "torus.graphite.functions" : "graphite.render.functions",
    group: def.group,
    params: def.params.map(publicParam),
  };
}

/** The `/functions` object: keyed by name, or by group then name when `grouped`; optionally one group only. */
export function functionsObject(opts: { grouped?: boolean; group?: string } = {}): Record<string, unknown> {
  const out: Record<string, any> = {};
  for (const name of functionNames()) {
    const info = functionInfo(name)!;
    if (opts.group !== undefined && info.group !== opts.group) continue;
    if (opts.grouped) (out[info.group] ??= {})[name] = info;
    else out[name] = info;
  }
  return out;
}

/** ±inf as the text the signature shows (`limit=inf`): a number JSON cannot hold. */
function jsonSafe<T>(v: T): T | string {
  if (typeof v !== "number" || Number.isFinite(v)) return v;
  return v > 0 ? "inf" : v < 0 ? "-inf" : "nan";
}

/**
 * Strict JSON of a `/functions` answer: no `Infinity` or `NaN`, and no `1e9999` either (graphite-web's
 * choice, which JavaScript parses back into Infinity and stricter parsers reject). An infinite default is
 * the string `"inf"`, which Grafana shows as the default and our target parser reads back as infinity.
 */
export function functionsJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => jsonSafe(v));
}

/**
 * Re-evaluates the first argument over [from, until]: the evaluator's `refetch` when it set one, else each
 * input's unique pathExpression through `fetch`.
 */
export async function refetch(ctx: EvalContext, list: Series[], from: number, until: number): Promise<Series[]> {
  if (ctx.refetch) return ctx.refetch(from, until);
  const out: Series[] = [];
  for (const expr of new Set(list.map((s) => s.pathExpression))) out.push(...(await ctx.fetch(expr, from, until)));
  return out;
}
