/**
 * The target evaluator: parsed `target=` values → series, as graphite-web's `evaluateTarget` does
 * (render/evaluator.py): targets left to right, arguments left to right and bottom-up, a path expression
 * fetched, a call run through the function registry with its own context, `template()` substituting
 * `$name` in the paths below it.
 */
import { callFunction, getFunction, GraphiteFunctionError, type ArgValue, type EvalContext, type RenderBudget } from "../../graphite/functions/index.js";
import { pyFloat, type Series, type SeriesOrigin } from "../../graphite/series.js";
import { parseTarget, type CallNode, type TargetNode } from "../../graphite/target-parser.js";
import type { Row } from "../../timeseries/index.js";

export interface EvaluateOptions {
  from: number;
  until: number;
  now: number;
  /** The request's xFilesFactor (graphite-web's default is 0). */
  xFilesFactor: number;
  /** The request's maxDataPoints, when given. */
  maxDataPoints?: number;
  /** `template[name]=value` request parameters: they override a template()'s own values. */
  template?: Record<string, string>;
  /** A path expression's series over (from, until]. */
  fetchPath: (expression: string, from: number, until: number) => Promise<Series[]>;
  /** Tagged series for `seriesByTag` expressions; none: seriesByTag matches nothing. */
  fetchTagged?: (expressions: string[], from: number, until: number) => Promise<Series[]>;
  /** Parses a `date` argument the way from/until are parsed. */
  parseTime?: (text: string) => number;
  readCells?: (origins: readonly SeriesOrigin[], from: number, until: number) => Promise<Row[][]>;
  /** The request's bound on points read and made by functions (RENDER_MAX_POINTS); none: each call is bounded alone. */
  budget?: RenderBudget;
}

/** Literal values of a template(): positional ones under "1", "2", …, keyword ones by name. */
type Replacements = Map<string, string | number>;

/** What every call of one request shares; each call gets its own range and refetch on top (see `callContext`). */
interface Shared {
  opts: EvaluateOptions;
  state: { xFilesFactor: number };
  /** Each (path, range) is read once per request, as graphite-web's prefetch does: later uses get copies. */
  fetched: Map<string, Promise<Series[]>>;
}

/**
 * Evaluates every target of a request, in order; blank targets are skipped. A target that does not
 * parse, a function that does not exist or refuses its arguments is an error (the HTTP layer's 400).
 */
export async function evaluateTargets(targets: readonly string[], opts: EvaluateOptions): Promise<Series[]> {
  const shared: Shared = { opts, state: { xFilesFactor: opts.xFilesFactor }, fetched: new Map() };
  const out: Series[] = [];
  for (const target of targets) {
    if (target.trim() === "") continue;
    const node = parseTarget(target);
    for (const s of await evaluateSeries(shared, node, opts.from, opts.until, undefined)) out.push(s);
  }
  return out;
}

/** A context for one call over [from, until]: xFilesFactor is the request's (setXFilesFactor changes it for the rest). */
function callContext(shared: Shared, from: number, until: number, refetch?: EvalContext["refetch"]): EvalContext {
  const { opts, state } = shared;
  const ctx: EvalContext = {
    from,
    until,
    now: opts.now,
    fetch: (expression, f, u) => evaluateSeries(shared, parseTarget(expression), f, u, undefined),
    refetch,
    maxDataPoints: opts.maxDataPoints,
    parseTime: opts.parseTime,
    readCells: opts.readCells,
    budget: opts.budget,
    get xFilesFactor() {
      return state.xFilesFactor;
    },
    set xFilesFactor(v: number | undefined) {
      state.xFilesFactor = v ?? 0;
    },
  };
  return ctx;
}

async function evaluateSeries(shared: Shared, node: TargetNode, from: number, until: number, repl: Replacements | undefined): Promise<Series[]> {
  const v = await evaluateNode(shared, node, from, until, repl);
  if (Array.isArray(v)) return v;
  // A `$name` path that a template replaced with a literal, at the top of a target: nothing to draw.
  return [];
}

async function evaluateNode(shared: Shared, node: TargetNode, from: number, until: number, repl: Replacements | undefined): Promise<ArgValue> {
  switch (node.kind) {
    case "number":
      return node.value;
    case "string":
      return node.value;
    case "boolean":
      return node.value;
    case "none":
      return null;
    case "path":
      return evaluatePath(shared, node.text, from, until, repl);
    case "call":
      return evaluateCall(shared, node, from, until, repl);
  }
}

/** graphite-web: `$name` alone becomes the literal (a number when it reads as one); inside a path it is replaced as text. */
function evaluatePath(shared: Shared, text: string, from: number, until: number, repl: Replacements | undefined): ArgValue | Promise<ArgValue> {
  let expression = text;
  if (repl) {
    for (const [name, value] of repl) {
      if (expression === `$${name}`) {
        if (typeof value !== "string") return value;
        return /^-?[\d.]+$/.test(value) && Number.isFinite(Number(value)) ? Number(value) : value;
      }
      expression = expression.replaceAll(`$${name}`, typeof value === "string" ? value : pyText(value));
    }
  }
  const key = `${from}\u0000${until}\u0000${expression}`;
  let read = shared.fetched.get(key);
  if (read === undefined) shared.fetched.set(key, (read = shared.opts.fetchPath(expression, from, until)));
  // Functions never write into their inputs' values, but may set fields on the series objects they are given.
  return read.then((list) => list.map((x) => ({ ...x, tags: { ...x.tags } })));
}

/** Python's str() of a template literal: an int plainly, a float as repr. */
function pyText(v: number): string {
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? String(v) : pyFloat(v);
}

function literalOf(node: TargetNode): string | number {
  if (node.kind === "number") return node.value;
  if (node.kind === "string") return node.value;
  throw new GraphiteFunctionError("TORUS_ERR_GRAPHITE_ARG_TYPE", "template: values must be strings or numbers");
}

async function evaluateCall(shared: Shared, node: CallNode, from: number, until: number, repl: Replacements | undefined): Promise<ArgValue> {
  if (node.name === "template") {
    const own: Replacements = new Map();
    for (const [k, v] of Object.entries(node.kwargs)) own.set(k, literalOf(v));
    node.args.slice(1).forEach((a, i) => own.set(String(i + 1), literalOf(a)));
    for (const [k, v] of Object.entries(shared.opts.template ?? {})) own.set(k, v);
    return evaluateNode(shared, node.args[0], from, until, own);
  }
  if (node.name === "seriesByTag") {
    const exprs = await Promise.all(node.args.map((a) => evaluateNode(shared, a, from, until, repl)));
    if (!exprs.every((e): e is string => typeof e === "string")) {
      throw new GraphiteFunctionError("TORUS_ERR_GRAPHITE_ARG_TYPE", "seriesByTag: every argument must be a tag expression string");
    }
    if (!shared.opts.fetchTagged) return [];
    // graphite-web's pathExpression of a tagged fetch is the call itself (what aggregates name their output from).
    const pathExpression = `seriesByTag(${exprs.map((e) => `'${e}'`).join(",")})`;
    return (await shared.opts.fetchTagged(exprs, from, until)).map((s) => ({ ...s, pathExpression }));
  }
  // Looked up before any argument is fetched, as graphite-web does: an unknown name costs no reads.
  if (!getFunction(node.name)) {
    throw new GraphiteFunctionError("TORUS_ERR_GRAPHITE_UNKNOWN_FUNCTION", `unknown function ${JSON.stringify(node.name)} (see /functions)`);
  }
  const positional: ArgValue[] = [];
  for (const a of node.args) positional.push(await evaluateNode(shared, a, from, until, repl));
  const keywords: Record<string, ArgValue> = Object.create(null);
  for (const [k, v] of Object.entries(node.kwargs)) keywords[k] = await evaluateNode(shared, v, from, until, repl);
  const first = node.args[0];
  // graphite-web re-evaluates `requestContext['args'][0]`, the call's own first argument, over the new range.
  const refetch =
    first && (first.kind === "call" || first.kind === "path")
      ? async (f: number, u: number) => evaluateSeries(shared, first, f, u, repl)
      : undefined;
  return callFunction(callContext(shared, from, until, refetch), node.name, positional, keywords);
}
