import type { TypeDef } from "./type-def.js";
import { memberKey } from "../values.js";

type Hist = Map<any, number>;

/** Value → occurrences per bucket (statsd timers land here). */
export const histogramType: TypeDef<Hist> = {
  name: "histogram",
  rows: { a: "member", b: "n", many: true },
  rowCount: (cell) => (cell as Map<string, number>).size,
  cellRows(cell, sink) {
    for (const [member, n] of cell as Map<string, number>) sink.row(member, n);
  },
  mergeRow(cells, sub, a, b) {
    let cell = cells.get(sub) as Map<string, number> | undefined;
    if (!cell) cells.set(sub, (cell = new Map()));
    const key = String(a);
    const prev = cell.get(key);
    cell.set(key, (prev ?? 0) + b!);
    return prev === undefined ? 1 : 0;
  },
  splitCell(cell, n) {
    const entries = [...(cell as Map<string, number>)];
    return [new Map(entries.slice(0, n)), new Map(entries.slice(n))];
  },
  stage(cells, sub, value) {
    let cell = cells.get(sub) as Map<string, number> | undefined;
    if (!cell) cells.set(sub, (cell = new Map()));
    const key = memberKey(value);
    const prev = cell.get(key);
    cell.set(key, prev === undefined ? 1 : prev + 1);
    return prev === undefined ? 1 : 0;
  },
  decode(acc, row, decode) {
    const out = acc ?? new Map();
    const k = decode(row[2]);
    out.set(k, (out.get(k) ?? 0) + row[3]!);
    return out;
  },
  join(a, b) {
    const out = new Map(a);
    for (const [k, n] of b) out.set(k, (out.get(k) ?? 0) + n);
    return out;
  },
  transforms: {
    mean(h) {
      let s = 0;
      let n = 0;
      for (const [k, c] of h) {
        s += Number(k) * c;
        n += c;
      }
      return n === 0 ? null : s / n;
    },
    count(h) {
      let n = 0;
      for (const c of h.values()) n += c;
      return n;
    },
    min(h) {
      let m: number | null = null;
      for (const k of h.keys()) if (m === null || Number(k) < m) m = Number(k);
      return m;
    },
    max(h) {
      let m: number | null = null;
      for (const k of h.keys()) if (m === null || Number(k) > m) m = Number(k);
      return m;
    },
    sum(h) {
      let s = 0;
      for (const [k, c] of h) s += Number(k) * c;
      return s;
    },
    rate(h, duration) {
      const out = new Map<any, number>();
      for (const [k, c] of h) out.set(k, c / duration);
      return out;
    },
  },
};
