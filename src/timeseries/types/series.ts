import { maxOf, meanOf, minOf, numbers, sumOf, type TypeDef } from "./type-def.js";
import { memberKey } from "../values.js";

/** Every value in arrival order. */
export const seriesType: TypeDef<any[]> = {
  name: "series",
  rows: { a: "value", b: null, many: true },
  rowCount: (cell) => (cell as string[]).length,
  cellRows(cell, sink) {
    for (const value of cell as string[]) sink.row(value, undefined);
  },
  mergeRow(cells, sub, a) {
    const cell = cells.get(sub) as string[] | undefined;
    if (cell) cell.push(String(a));
    else cells.set(sub, [String(a)]);
    return 1;
  },
  splitCell: (cell, n) => [(cell as string[]).slice(0, n), (cell as string[]).slice(n)],
  stage(cells, sub, value) {
    const cell = cells.get(sub) as string[] | undefined;
    if (cell) cell.push(memberKey(value));
    else cells.set(sub, [memberKey(value)]);
    return 1;
  },
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
