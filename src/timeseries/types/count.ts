import type { TypeDef } from "./type-def.js";

/** A running total per bucket. */
export const countType: TypeDef<number> = {
  name: "count",
  rows: { a: "total", b: null, many: false },
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
