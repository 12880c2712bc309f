import { quote } from "../timeseries/errors.js";
import { QueryError, QueryErrorCodes, badParameter, missingParameter } from "./query-error.js";

/** Query-string (and form) parameters as parsed: a repeated key becomes an array. */
export type Params = Record<string, string | string[] | undefined>;

/** Every value of a repeatable parameter, in the order given. */
export function all(params: Params, name: string): string[] {
  const v = params[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** One value; a repeated single-valued parameter keeps its last value, as most web frameworks do. */
export function one(params: Params, name: string): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function required(params: Params, name: string, hint?: string): string {
  const v = one(params, name);
  if (v === undefined || v === "") throw missingParameter(name, hint);
  return v;
}

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off", ""]);

/** `true/false/1/0/yes/no` (any case); anything else is a 400 naming the parameter. */
export function parseBoolean(value: string | boolean | undefined, name: string): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw badParameter(name, `expected true/false/1/0/yes/no, got ${quote(value)}`);
}

const INTEGER = /^\s*[+-]?\d+\s*$/;

/** A positive whole number no larger than `max`. */
export function parseSteps(value: string | number | undefined, max: number): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = typeof value === "number" ? value : INTEGER.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw badParameter("steps", `expected a positive whole number, got ${quote(value)}`);
  if (n > max) throw new QueryError(400, QueryErrorCodes.TOO_MANY_BUCKETS, `steps: ${n} buckets is more than the configured maximum of ${max} (MAX_BUCKETS)`, "steps");
  return n;
}
