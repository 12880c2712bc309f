import { Interval } from "../../intervals.js";
import type { Namespace, TypeName } from "../../store.js";
import { typeDef } from "../../types/index.js";
import { WriteBatch } from "../../write-batch.js";

/**
 * A WriteBatch as plain arrays (the spool's record layout, see
 * spool-codec.ts, which writes it): numbers in one Float64Array, text in one string array.
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
