import { Interval } from "../../intervals.js";
import { TYPE_NAMES, type Namespace, type TypeName } from "../../store.js";
import { typeDef, type RowShape, type RowSink } from "../../types/index.js";
import { WriteBatch } from "../../write-batch.js";

/**
 * A WriteBatch as plain arrays, for handing it to another thread: numbers
 * in one Float64Array (transferred, not copied), text in one string array.
 * Per cell: name index, interval index, sub-bucket, then (types of many
 * rows per cell) the row count, then each row's `a` (a count's total as
 * is, text as its index) and `b` when the type has one — count: value;
 * histogram: member count, then (text index, n)…; set and series: member
 * count, then text index…; gauge: text index, ts.
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
  /** The batch's flush id: the thread's store records it with the rows. */
  flushId?: string;
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

/** One cell's rows into the flat arrays: per row `a` (a total as is, text as its index), then `b` if the type has one. */
class EncodeSink implements RowSink {
  private readonly total: boolean;
  constructor(
    private readonly nums: Numbers,
    private readonly text: string[],
    shape: RowShape,
  ) {
    this.total = shape.a === "total";
  }
  row(a: string | number, b: number | undefined): void {
    this.nums.push(this.total ? (a as number) : this.text.push(a as string) - 1);
    if (b !== undefined) this.nums.push(b);
  }
}

/** Flatten a batch; throws on a part no store could write (an unknown type), before anything is sent. */
export function encodeBatch(batch: WriteBatch): { encoded: EncodedBatch; transfer: ArrayBuffer[] } {
  const parts: EncodedPart[] = [];
  for (const part of batch.parts.values()) {
    const type = part.ns.type;
    if (!(TYPE_NAMES as readonly string[]).includes(type)) throw new Error(`no table for type ${JSON.stringify(type)}`);
    const def = typeDef(type);
    const many = def.rows.many;
    const nums = new Numbers();
    const text: string[] = [];
    const sink = new EncodeSink(nums, text, def.rows);
    for (let slot = 0; slot < part.names.length; slot++) {
      for (let i = 0; i < part.intervals.length; i++) {
        for (let c = part.head(slot, i); c !== -1; c = part.cellNext[c]) {
          nums.push(slot);
          nums.push(i);
          nums.push(part.cellSub[c]);
          if (many) nums.push(part.rowCount(c));
          part.cellRows(c, sink);
        }
      }
    }
    parts.push({
      prefix: part.ns.prefix,
      type,
      intervals: part.intervals.map((iv) => ({ name: iv.name, step: iv.step.spec, resolution: iv.resolution?.spec ?? null, steps: iv.steps })),
      names: part.names.slice(),
      text,
      numbers: nums.buf.slice(0, nums.length),
    });
  }
  return { encoded: { parts, size: batch.size, points: batch.points, flushId: batch.flushId }, transfer: parts.map((p) => p.numbers.buffer as ArrayBuffer) };
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
    const def = typeDef(p.type);
    const many = def.rows.many;
    const total = def.rows.a === "total";
    const withB = def.rows.b !== null;
    const part = batch.part({}, ns, intervals);
    // Slots are given in the encoded names' order: slot i is names[i].
    for (const name of p.names) part.slot(name);
    const x = p.numbers;
    for (let at = 0; at < x.length; ) {
      const slot = x[at++];
      const ii = x[at++];
      const sub = x[at++];
      for (let k = many ? x[at++] : 1; k > 0; k--) {
        const a = total ? x[at++] : p.text[x[at++]];
        part.add(slot, ii, sub, a, withB ? x[at++] : 0);
      }
    }
  }
  batch.size = encoded.size;
  batch.points = encoded.points;
  batch.flushId = encoded.flushId;
  return batch;
}
