import { ErrorCodes, TorusError, quote } from "./errors.js";

/** What a `write_func` may return: stored as given (numbers) or as text (members). */
export type Written = string | number;
export type WriteFunc = (value: any) => unknown;
export type ReadFunc = (value: string) => unknown;

const INTEGER = /^\s*[+-]?\d+\s*$/;
/** Decimal numbers only: Number() alone would also take "0x1f", "0b1", "" and "  ". */
const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/**
 * The seed's default conversion: an integer if the text is one, else a
 * float. Anything that is neither (or not finite) throws, so a bad value
 * is rejected at the edge and never stored as NaN.
 */
export function long_or_float(value: unknown): number {
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value;
  } else if (typeof value === "bigint") {
    return Number(value);
  } else if (typeof value === "string") {
    // Number() reads integers and floats alike; the pattern keeps out what it reads too generously.
    if (DECIMAL.test(value)) {
      const n = Number(value);
      if (Number.isFinite(n)) return n;
    }
  }
  throw new TorusError(ErrorCodes.BAD_VALUE, `value ${quote(value)} is not a number`, { field: "value", value });
}

/**
 * Read side of the default: the store hands back text (members, gauge
 * values) or numbers (count totals); numbers pass through untouched.
 */
export function readLongOrFloat(value: string | number): number | string {
  if (typeof value === "number") return value;
  const n = INTEGER.test(value) ? Number.parseInt(value, 10) : Number(value);
  return Number.isFinite(n) && value.trim() !== "" ? n : value;
}

/** Apply `write_func` and check the result can be stored; throws a BAD_VALUE error naming the value. */
export function toWritten(writeFunc: WriteFunc, value: unknown): Written {
  let out: unknown;
  try {
    out = writeFunc(value);
  } catch (err) {
    if (err instanceof TorusError) throw err;
    throw new TorusError(ErrorCodes.BAD_VALUE, `write_func rejected value ${quote(value)}: ${(err as Error)?.message ?? err}`, {
      field: "value",
      value,
      cause: err,
    });
  }
  if (typeof out === "number") {
    if (Number.isFinite(out)) return out;
  } else if (typeof out === "string") {
    return out;
  } else if (typeof out === "bigint" || typeof out === "boolean") {
    return String(out);
  }
  throw new TorusError(ErrorCodes.BAD_VALUE, `write_func turned value ${quote(value)} into ${quote(out)}, which cannot be stored`, {
    field: "value",
    value,
  });
}

/** Members (histogram cells, set members, series and gauge values) are stored as text. */
export function memberKey(value: Written): string {
  return typeof value === "string" ? value : String(value);
}
