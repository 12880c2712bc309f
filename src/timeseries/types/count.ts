import { ErrorCodes, TorusError, quote } from "../errors.js";
import { oneRow, type TypeDef } from "./type-def.js";

/** A running total per bucket. */
export const countType: TypeDef<number> = {
  name: "count",
  rows: { a: "total", b: null, many: false },
  rowCount: () => 1,
  cellRows(cell, sink) {
    sink.row(cell as number, undefined);
  },
  mergeRow(cells, sub, a) {
    const prev = cells.get(sub) as number | undefined;
    cells.set(sub, (prev ?? 0) + Number(a));
    return prev === undefined ? 1 : 0;
  },
  splitCell: oneRow,
  stage(cells, sub, value) {
    const n = typeof value === "number" ? value : Number(value);
    if (!Number.isFinite(n)) {
      throw new TorusError(ErrorCodes.BAD_VALUE, `count value ${quote(value)} is not a finite number`, { field: "value", value });
    }
    const prev = cells.get(sub) as number | undefined;
    if (prev === undefined) {
      cells.set(sub, n);
      return 1;
    }
    const sum = prev + n;
    // Timeseries.stage checks huge values before merging; this is the last line, for callers of the type alone.
    if (!Number.isFinite(sum)) {
      throw new TorusError(ErrorCodes.BAD_VALUE, `count value ${quote(value)} would make the total of its bucket overflow`, { field: "value", value, reason: "not_finite" });
    }
    cells.set(sub, sum);
    return 0;
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
