import { maxOf, meanOf, minOf, numbers, sumOf, type TypeDef } from "./type-def.js";

/** Every value in arrival order. */
export const seriesType: TypeDef<any[]> = {
  name: "series",
  rows: { a: "value", b: null, many: true },
  decode(acc, row, decode) {
    const out = acc ?? [];
    out.push(decode(row[2]));
    return out;
  },
  join: (a, b) => a.concat(b),
  transforms: {
    mean: (s) => meanOf(numbers(s)),
    count: (s) => s.length,
    min: (s) => minOf(numbers(s)),
    max: (s) => maxOf(numbers(s)),
    sum: (s) => sumOf(numbers(s)),
    rate: (s, duration) => s.length / duration,
  },
};
