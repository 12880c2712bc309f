import { maxOf, meanOf, minOf, numbers, sumOf, type TypeDef } from "./type-def.js";
import { memberKey } from "../values.js";

/** Unique values per bucket. */
export const setType: TypeDef<Set<any>> = {
  name: "set",
  rows: { a: "member", b: null, many: true },
  rowCount: (cell) => (cell as Set<string>).size,
  cellRows(cell, sink) {
    for (const member of cell as Set<string>) sink.row(member, undefined);
  },
  mergeRow(cells, sub, a) {
    let cell = cells.get(sub) as Set<string> | undefined;
    if (!cell) cells.set(sub, (cell = new Set()));
    const key = String(a);
    if (cell.has(key)) return 0;
    cell.add(key);
    return 1;
  },
  splitCell(cell, n) {
    const members = [...(cell as Set<string>)];
    return [new Set(members.slice(0, n)), new Set(members.slice(n))];
  },
  stage(cells, sub, value) {
    let cell = cells.get(sub) as Set<string> | undefined;
    if (!cell) cells.set(sub, (cell = new Set()));
    const key = memberKey(value);
    if (cell.has(key)) return 0;
    cell.add(key);
    return 1;
  },
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
