import { ErrorCodes, TorusError, quote } from "./errors.js";
import { BUILTIN_TRANSFORMS, type TypeDef } from "./types/index.js";

/** A query-time function: the type's native data and the bucket's length in seconds. */
export type TransformFn = (data: any, duration: number) => unknown;

/**
 * `transform` as a read option: a built-in name, a function, a list of
 * either (each bucket then holds `{name: result}`), or a name → function map.
 */
export type TransformOption = string | TransformFn | ReadonlyArray<string | TransformFn> | Readonly<Record<string, string | TransformFn>>;

function builtin(type: TypeDef, name: string): TransformFn {
  if ((BUILTIN_TRANSFORMS as readonly string[]).includes(name)) {
    return type.transforms[(name === "avg" ? "mean" : name) as keyof TypeDef["transforms"]];
  }
  throw new TorusError(
    ErrorCodes.UNKNOWN_TRANSFORM,
    `transform: unknown function ${quote(name)} (built-ins: ${BUILTIN_TRANSFORMS.join(", ")})`,
    { field: "transform", value: name },
  );
}

function one(type: TypeDef, t: string | TransformFn): TransformFn {
  if (typeof t === "function") return t;
  if (typeof t === "string") return builtin(type, t);
  throw new TorusError(ErrorCodes.UNKNOWN_TRANSFORM, `transform: expected a name or a function, got ${quote(t)}`, {
    field: "transform",
    value: t,
  });
}

/** Resolve a transform option once per read into a single function over (data, duration). */
export function compileTransform(type: TypeDef, option: TransformOption): TransformFn {
  if (typeof option === "string" || typeof option === "function") return one(type, option);
  if (Array.isArray(option)) {
    const fns = option.map((t, i) => [typeof t === "string" ? t : t.name || String(i), one(type, t)] as const);
    return (data, duration) => Object.fromEntries(fns.map(([k, f]) => [k, f(data, duration)]));
  }
  if (option !== null && typeof option === "object") {
    const fns = Object.entries(option).map(([k, t]) => [k, one(type, t)] as const);
    return (data, duration) => Object.fromEntries(fns.map(([k, f]) => [k, f(data, duration)]));
  }
  return one(type, option as never);
}
