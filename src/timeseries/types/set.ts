import { maxOf, meanOf, minOf, numbers, sumOf, type TypeDef } from "./type-def.js";

/** Unique values per bucket. */
export const setType: TypeDef<Set<any>> = {
  name: "set",
  rows: { a: "member", b: null, many: true },
  decode(acc, row, decode) {
    const out = acc ?? new Set();
    out.add(decode(row[2]));
    return out;
  },
  join(a, b) {
    const out = new Set(a);
    for (const v of b) out.add(v);
    return out;
  },
  transforms: {
    mean: (s) => meanOf(numbers(s)),
    count: (s) => s.size,
    min: (s) => minOf(numbers(s)),
    max: (s) => maxOf(numbers(s)),
    sum: (s) => sumOf(numbers(s)),
    rate: (s, duration) => s.size / duration,
  },
};
