import type { TypeDef } from "./type-def.js";

type Hist = Map<any, number>;

/** Value → occurrences per bucket (statsd timers land here). */
export const histogramType: TypeDef<Hist> = {
  name: "histogram",
  rows: { a: "member", b: "n", many: true },
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
