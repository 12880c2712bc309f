import type { GaugeCell } from "../cells.js";
import { oneRow, type TypeDef } from "./type-def.js";
import { memberKey } from "../values.js";

/** The newest value by point timestamp; a later write of the same timestamp wins. */
export const gaugeType: TypeDef<any> = {
  name: "gauge",
  rows: { a: "value", b: "ts", many: false },
  rowCount: () => 1,
  cellRows(cell, sink) {
    sink.row((cell as GaugeCell).value, (cell as GaugeCell).ts);
  },
  mergeRow(cells, sub, a, b) {
    const cell = cells.get(sub) as GaugeCell | undefined;
    if (!cell) {
      cells.set(sub, { value: String(a), ts: b! });
      return 1;
    }
    if (b! >= cell.ts) {
      cell.value = String(a);
      cell.ts = b!;
    }
    return 0;
  },
  splitCell: oneRow,
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
