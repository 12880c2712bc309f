import type { TypeDef } from "./type-def.js";

/** The newest value by point timestamp; a later write of the same timestamp wins. */
export const gaugeType: TypeDef<any> = {
  name: "gauge",
  rows: { a: "value", b: "ts", many: false },
  decode: (_acc, row, decode) => decode(row[2]),
  // "Last non-empty": natives are never null here, so the later one wins.
  join: (_a, b) => b,
  transforms: {
    mean: (v) => v,
    count: (v) => v,
    min: (v) => v,
    max: (v) => v,
    sum: (v) => v,
    rate: (v) => v,
  },
};
