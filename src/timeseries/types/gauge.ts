import type { GaugeCell } from "../store.js";
import type { TypeDef } from "./type-def.js";
import { memberKey } from "../values.js";

/** The newest value by point timestamp; a later write of the same timestamp wins. */
export const gaugeType: TypeDef<any> = {
  name: "gauge",
  stage(cells, sub, value, ts) {
    const cell = cells.get(sub) as GaugeCell | undefined;
    if (!cell) {
      cells.set(sub, { value: memberKey(value), ts });
      return 1;
    }
    if (ts >= cell.ts) {
      cell.value = memberKey(value);
      cell.ts = ts;
    }
    return 0;
  },
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
