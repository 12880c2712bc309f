import { Interval } from "./intervals.js";
import { TYPE_NAMES, WriteBatch, type Cells, type GaugeCell, type Namespace, type TypeName } from "./store.js";

/**
 * A WriteBatch as plain arrays, for handing it to another thread: numbers
 * in one Float64Array (transferred, not copied), text in one string array.
 * Per cell: name index, interval index, sub-bucket, then by type —
 * count: value; histogram: member count, then (text index, n)…; set and
 * series: member count, then text index…; gauge: text index, ts.
 */
export interface EncodedPart {
  prefix: string;
  type: TypeName;
  intervals: Array<{ name: string; step: string | number; resolution: string | number | null; steps: number | null }>;
  names: string[];
  text: string[];
  numbers: Float64Array;
}

export interface EncodedBatch {
  parts: EncodedPart[];
  size: number;
  points: number;
}

class Numbers {
  buf = new Float64Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = x;
  }
}

/** Flatten a batch; throws on a part no store could write (an unknown type), before anything is sent. */
export function encodeBatch(batch: WriteBatch): { encoded: EncodedBatch; transfer: ArrayBuffer[] } {
  const parts: EncodedPart[] = [];
  for (const part of batch.parts.values()) {
    const type = part.ns.type;
    if (!(TYPE_NAMES as readonly string[]).includes(type)) throw new Error(`no table for type ${JSON.stringify(type)}`);
    const nums = new Numbers();
    const text: string[] = [];
    const names: string[] = [];
    for (const [name, perInterval] of part.names) {
      const ni = names.push(name) - 1;
      for (let i = 0; i < perInterval.length; i++) {
        const cells = perInterval[i];
        if (!cells) continue;
        for (const [sub, cell] of cells) {
          nums.push(ni);
          nums.push(i);
          nums.push(sub);
          switch (type) {
            case "count":
              nums.push(cell as number);
              break;
            case "gauge":
              nums.push(text.push((cell as GaugeCell).value) - 1);
              nums.push((cell as GaugeCell).ts);
              break;
            case "histogram":
              nums.push((cell as Map<string, number>).size);
              for (const [m, n] of cell as Map<string, number>) {
                nums.push(text.push(m) - 1);
                nums.push(n);
              }
              break;
            case "set":
              nums.push((cell as Set<string>).size);
              for (const m of cell as Set<string>) nums.push(text.push(m) - 1);
              break;
            case "series":
              nums.push((cell as string[]).length);
              for (const v of cell as string[]) nums.push(text.push(v) - 1);
              break;
          }
        }
      }
    }
    parts.push({
      prefix: part.ns.prefix,
      type,
      intervals: part.intervals.map((iv) => ({ name: iv.name, step: iv.step.spec, resolution: iv.resolution?.spec ?? null, steps: iv.steps })),
      names,
      text,
      numbers: nums.buf.slice(0, nums.length),
    });
  }
  return { encoded: { parts, size: batch.size, points: batch.points }, transfer: parts.map((p) => p.numbers.buffer as ArrayBuffer) };
}

/** Rebuild the batch on the other side; `intervalCache` keeps Interval objects across batches. */
export function decodeBatch(encoded: EncodedBatch, intervalCache = new Map<string, Interval>()): WriteBatch {
  const batch = new WriteBatch();
  for (const p of encoded.parts) {
    const intervals = p.intervals.map((spec) => {
      const key = JSON.stringify(spec);
      let iv = intervalCache.get(key);
      if (!iv) intervalCache.set(key, (iv = new Interval(spec.name, spec)));
      return iv;
    });
    const ns: Namespace = { prefix: p.prefix, type: p.type };
    const part = batch.part({}, ns, intervals);
    const perName = p.names.map(() => new Array<Cells | undefined>(intervals.length));
    p.names.forEach((name, i) => part.names.set(name, perName[i]));
    const x = p.numbers;
    for (let at = 0; at < x.length; ) {
      const perInterval = perName[x[at++]];
      const ii = x[at++];
      const sub = x[at++];
      const cells = perInterval[ii] ?? (perInterval[ii] = new Map());
      switch (p.type) {
        case "count":
          cells.set(sub, x[at++]);
          break;
        case "gauge": {
          const value = p.text[x[at++]];
          cells.set(sub, { value, ts: x[at++] });
          break;
        }
        case "histogram": {
          const m = new Map<string, number>();
          for (let k = x[at++]; k > 0; k--) {
            const member = p.text[x[at++]];
            m.set(member, x[at++]);
          }
          cells.set(sub, m);
          break;
        }
        case "set": {
          const s = new Set<string>();
          for (let k = x[at++]; k > 0; k--) s.add(p.text[x[at++]]);
          cells.set(sub, s);
          break;
        }
        case "series": {
          const a: string[] = [];
          for (let k = x[at++]; k > 0; k--) a.push(p.text[x[at++]]);
          cells.set(sub, a);
          break;
        }
      }
    }
  }
  batch.size = encoded.size;
  batch.points = encoded.points;
  return batch;
}
