import { quote } from "../../timeseries/errors.js";
import { QueryError, QueryErrorCodes, badParameter, missingParameter } from "../query-error.js";

/** Query-string (and form) parameters as parsed: a repeated key becomes an array. */
export type Params = Record<string, string | string[] | undefined>;

/** Every value of a repeatable parameter, in the order given. */
export function all(params: Params, name: string): string[] {
  const v = params[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * One value of a single-valued parameter. Given more than once it is a 400:
 * frameworks disagree on which copy wins (first, last, a list), so a client
 * sending two is told rather than silently answered for one of them.
 */
export function one(params: Params, name: string): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) return v;
  if (v.length === 1) return v[0];
  if (v.length === 0) return undefined;
  throw badParameter(name, `given ${v.length === 2 ? "twice" : `${v.length} times`} (${v.slice(0, 3).map(quote).join(", ")}${v.length > 3 ? ", ..." : ""}); give it once`);
}

export function required(params: Params, name: string, hint?: string): string {
  const v = one(params, name);
  if (v === undefined || v === "") throw missingParameter(name, hint);
  return v;
}

const TRUE = new Set(["true", "1", "yes"]);
const FALSE = new Set(["false", "0", "no"]);

/**
 * `true/false/1/0/yes/no` (any case; SPEC §5); anything else is a 400 naming
 * the parameter. An empty value is "not given".
 */
export function parseBoolean(value: string | boolean | undefined, name: string): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  const v = value.trim().toLowerCase();
  if (v === "") return undefined;
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw badParameter(name, `expected true/false/1/0/yes/no, got ${quote(value)}`);
}

/** A value from a closed set (`format`, ...): a 400 naming the parameter, quoting the value and listing what is accepted. */
export function parseChoice<T extends string>(value: string | undefined, name: string, accepted: readonly T[], fallback: T): T {
  if (value === undefined || value === "") return fallback;
  if ((accepted as readonly string[]).includes(value)) return value as T;
  throw badParameter(name, `expected ${accepted.length === 2 ? accepted.join(" or ") : `one of ${accepted.join(", ")}`}, got ${quote(value)}`);
}

const INTEGER = /^\s*[+-]?\d+\s*$/;

/** A positive whole number no larger than `max`. */
export function parseSteps(value: string | number | undefined, max: number, name = "steps"): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = typeof value === "number" ? value : INTEGER.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw badParameter(name, `expected a positive whole number, got ${quote(value)}`);
  if (n > max) throw new QueryError(400, QueryErrorCodes.TOO_MANY_BUCKETS, `${name}: ${n} buckets is more than the configured maximum of ${max} (MAX_BUCKETS)`, name);
  return n;
}
