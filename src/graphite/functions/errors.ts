/** Errors raised by render functions: a stable code and a one-line message naming the function and argument. */
import { TorusError } from "../../timeseries/errors.js";


export type GraphiteFunctionErrorCode =
  | "TORUS_ERR_GRAPHITE_UNKNOWN_FUNCTION"
  | "TORUS_ERR_GRAPHITE_ARG_COUNT"
  | "TORUS_ERR_GRAPHITE_ARG_TYPE"
  | "TORUS_ERR_GRAPHITE_ARG_VALUE"
  | "TORUS_ERR_GRAPHITE_UNKNOWN_KEYWORD"
  | "TORUS_ERR_GRAPHITE_NO_FETCH"
  | "TORUS_ERR_GRAPHITE_TOO_MANY_SERIES"
  | "TORUS_ERR_GRAPHITE_TOO_MANY_POINTS";

/** A user's mistake in a target: the HTTP layer answers 400 with `message`. Its codes are rows of src/errors/catalogue.ts. */
export class GraphiteFunctionError extends TorusError {
  declare readonly code: GraphiteFunctionErrorCode;
  constructor(code: GraphiteFunctionErrorCode, message: string) {
    super(code, message);
    this.name = "GraphiteFunctionError";
  }
}

export function argError(fn: string, param: string, message: string): GraphiteFunctionError {
  return new GraphiteFunctionError("TORUS_ERR_GRAPHITE_ARG_VALUE", `${fn}: argument "${param}": ${message}`);
}
