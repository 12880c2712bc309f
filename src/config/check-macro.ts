import { BUILTIN_TRANSFORMS } from "../timeseries/index.js";
import { ConfigError, ConfigErrorCodes } from "./config-error.js";

/** Every field a macro may set (SPEC §5 and the seed: every query parameter but `stat`, and the custom reads). */
export const MACRO_FIELDS = ["transform", "fetch", "process_row", "condense", "join_rows", "collapse", "format", "schema", "interval", "start", "end", "steps", "cache"] as const;

const q = (v: unknown) => (typeof v === "function" ? "[function]" : JSON.stringify(v));

interface SchemaIntervals {
  readonly name: string;
  readonly intervals: readonly string[];
}

/**
 * The closed-set fields of a macro, checked at load so a typo is reported
 * once with the macro's name instead of failing (or, worse, being ignored)
 * on every request: unknown field names, `format`, boolean-or-function
 * `condense`/`collapse`, `steps`, the `schema` and `interval` it names, and
 * the transform names it uses. `start`/`end` are checked per request, with
 * the query's time parser, and reported as the macro's.
 */
export function checkMacro(name: string, macro: Record<string, unknown>, schemas: readonly SchemaIntervals[], transforms: Readonly<Record<string, unknown>>): void {
  const where = `macro ${q(name)}`;
  const fail = (field: string, message: string, value: unknown): never => {
    throw new ConfigError(ConfigErrorCodes.INVALID, `${where}: ${field}: ${message}`, { field: `${where}: ${field}`, value });
  };
  for (const key of Object.keys(macro)) {
    if (!(MACRO_FIELDS as readonly string[]).includes(key)) fail(key, `unknown field (a macro may set ${MACRO_FIELDS.join(", ")})`, key);
  }
  const { format, condense, collapse, steps, schema, interval, start, end, transform } = macro;
  if (format !== undefined && format !== "graphite" && format !== "json") fail("format", `expected "graphite" or "json", got ${q(format)}`, format);
  for (const [field, v] of [["condense", condense], ["collapse", collapse]] as const) {
    if (v !== undefined && typeof v !== "boolean" && typeof v !== "function") fail(field, `expected true, false or a function, got ${q(v)}`, v);
  }
  if (steps !== undefined && !(typeof steps === "number" && Number.isSafeInteger(steps) && steps >= 1)) fail("steps", `expected a positive whole number, got ${q(steps)}`, steps);
  for (const [field, v] of [["start", start], ["end", end]] as const) {
    if (v !== undefined && typeof v !== "string" && !(typeof v === "number" && Number.isFinite(v))) fail(field, `expected a time (text or Unix seconds), got ${q(v)}`, v);
  }
  let named: SchemaIntervals | undefined;
  if (schema !== undefined) {
    named = typeof schema === "string" ? schemas.find((s) => s.name === schema) : undefined;
    if (!named) fail("schema", `unknown schema ${q(schema)} (have ${schemas.map((s) => s.name).join(", ") || "none"})`, schema);
  }
  if (interval !== undefined) {
    if (typeof interval !== "string" || interval === "") fail("interval", `expected an interval name, got ${q(interval)}`, interval);
    const where = named ? [named] : schemas;
    if (!where.some((s) => s.intervals.includes(interval as string))) {
      fail("interval", `unknown interval ${q(interval)} (${where.map((s) => `${s.name}: ${s.intervals.join(", ")}`).join("; ") || "no schemas"})`, interval);
    }
  }
  if (transform !== undefined && transform !== null) {
    const names = typeof transform === "string" ? [transform] : Array.isArray(transform) ? transform : typeof transform === "object" ? Object.values(transform) : [];
    if (typeof transform !== "function" && typeof transform !== "string" && typeof transform !== "object") fail("transform", `expected a name, a function, a list or a map of them, got ${q(transform)}`, transform);
    for (const t of names) {
      if (typeof t === "function") continue;
      if (typeof t !== "string") fail("transform", `expected a transform name or a function, got ${q(t)}`, t);
      if (!(BUILTIN_TRANSFORMS as readonly string[]).includes(t as string) && !Object.hasOwn(transforms, t as string)) {
        const custom = Object.keys(transforms);
        fail("transform", `unknown function ${q(t)} (built-ins: ${BUILTIN_TRANSFORMS.join(", ")}${custom.length ? `; TRANSFORMS: ${custom.join(", ")}` : ""})`, t);
      }
    }
  }
}
