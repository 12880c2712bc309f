import { ErrorCodes, TorusError, quote } from "../errors.js";
import type { TypeDef } from "./type-def.js";

/** A running total per bucket. */
export const countType: TypeDef<number> = {
  name: "count",
  stage(cells, sub, value) {
    const n = typeof value === "number" ? value : Number(value);
    if (!Number.isFinite(n)) {
      throw new TorusError(ErrorCodes.BAD_VALUE, `count value ${quote(value)} is not a finite number`, { field: "value", value });
    }
    const prev = cells.get(sub) as number | undefined;
    cells.set(sub, prev === undefined ? n : prev + n);
    return prev === undefined ? 1 : 0;
  },
  decode(acc, row, decode) {
    const v = decode(row[2]);
    return acc === undefined ? v : acc + v;
  },
  join: (a, b) => a + b,
  transforms: {
    mean: (v) => v,
    count: (v) => v,
    min: (v) => v,
    max: (v) => v,
    sum: (v) => v,
    rate: (v, duration) => v / duration,
  },
};
