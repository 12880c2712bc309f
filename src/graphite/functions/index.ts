/**
 * The render-function library: importing this module declares every function in the registry.
 * Use {@link callFunction} with evaluated arguments; {@link functionsObject}/{@link functionsJson} for `/functions`.
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
