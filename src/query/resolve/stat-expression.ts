import { quote } from "../../timeseries/errors.js";
import { badParameter } from "../query-error.js";

/** A `stat` parameter taken apart: `name`, `func(name)` or `func(a,b,c)`. */
export interface StatExpression {
  /** The parameter as given. */
  readonly stat: string;
  /** The function name, or null for a bare name. */
  readonly func: string | null;
  /** One name, or several to join. */
  readonly names: readonly string[];
}

// The seed's function names: [a-zA-Z0-9_]. Names themselves may hold anything, parentheses included.
const CALL = /^([A-Za-z0-9_]+)\(([\s\S]*)\)$/;

export function parseStatExpression(stat: string): StatExpression {
  const m = CALL.exec(stat);
  if (!m) return { stat, func: null, names: [stat] };
  const names = m[2].split(",").map((n) => n.trim());
  if (names.some((n) => n === "")) throw badParameter("stat", `${quote(stat)}: empty stat name inside ${m[1]}(...)`);
  return { stat, func: m[1], names };
}
