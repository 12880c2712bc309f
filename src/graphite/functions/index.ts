/**
 * The Graphite render-function library. Importing this module declares every function in the registry.
 *
 * How an evaluator uses it: parse a target, evaluate each argument bottom-up — a path expression becomes
 * the `Series[]` the stores return (each with `pathExpression` = the expression as typed), a nested call
 * becomes its result, literals stay numbers/strings/booleans/`null` — then call
 * `callFunction(ctx, name, positional, keywords)`. `ctx.fetch` serves a target text over another range
 * (timeShift, movingAverage's bootstrap, useSeriesAbove, applyByNode); set `ctx.refetch` per call to
 * re-evaluate that call's own first argument, which is what graphite-web does. Give each request its own
 * `ctx` (setXFilesFactor changes its default). After the last function, `consolidateForMaxDataPoints`
 * (../consolidate.ts) applies `maxDataPoints`, and `datapoints` (../series.ts) pairs values with timestamps.
 * `functionsObject`/`functionsJson` give the `/functions` answer. A user's mistake is a
 * {@link GraphiteFunctionError} (answer 400 with its message); anything else is a bug.
 */
import "./combine.js";
import "./ratios.js";
import "./transform.js";
import "./buckets.js";
import "./time-shift.js";
import "./generators.js";
import "./calculate.js";
import "./lists.js";
import "./filter.js";
import "./alias.js";
import "./special.js";
import "./holt-winters.js";
import "./stored.js";

export {
  callFunction,
  functionInfo,
  functionNames,
  functionsJson,
  functionsObject,
  getFunction,
  type ArgValue,
  type EvalContext,
  type FetchFn,
  type FunctionDef,
  type ParamDef,
} from "./registry.js";
export { GraphiteFunctionError, type GraphiteFunctionErrorCode } from "./errors.js";
export { DEFAULT_RENDER_MAX_POINTS, DEFAULT_RENDER_MAX_SERIES, RenderBudget } from "./budget.js";
