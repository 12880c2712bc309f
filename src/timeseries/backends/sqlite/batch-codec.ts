import { Interval } from "../../intervals.js";
import type { Namespace, TypeName } from "../../store.js";
import { typeDef } from "../../types/index.js";
import { WriteBatch } from "../../write-batch.js";
import type { BatchPart } from "../../batch-part.js";

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

/**
 * Rebuild the batch on the other side; `intervalCache` keeps Interval
 * objects across batches. With `into`, the rows are merged into that batch
 * instead (after what it holds: series keep arrival order), into the part
 * of the same namespace and intervals; its size grows by the rows the
 * merge adds, its points by the batch's, and its flush id is left alone.
 */
export function decodeBatch(encoded: EncodedBatch, intervalCache = new Map<string, Interval>(), into?: WriteBatch): WriteBatch {
  const batch = into ?? new WriteBatch();
  let added = 0;
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
    const part = into ? partLike(into, ns, intervals) : batch.part({}, ns, intervals);
    // The encoded names' slots in this part (in a fresh part, slot i is names[i]).
    const slots = p.names.map((name) => part.slot(name));
    const x = p.numbers;
    for (let at = 0; at < x.length; ) {
      const slot = slots[x[at++]];
      const ii = x[at++];
      const sub = x[at++];
      for (let k = many ? x[at++] : 1; k > 0; k--) {
        const a = total ? x[at++] : p.text[x[at++]];
        added += part.add(slot, ii, sub, a, withB ? x[at++] : 0);
      }
    }
  }
  if (into) {
    into.size += added;
    into.points += encoded.points;
    return into;
  }
  batch.size = encoded.size;
  batch.points = encoded.points;
  batch.flushId = encoded.flushId;
  return batch;
}

/** The part of `batch` for this namespace and these intervals (the same Interval objects), made if there is none. */
function partLike(batch: WriteBatch, ns: Namespace, intervals: readonly Interval[]): BatchPart {
  for (const part of batch.parts.values()) {
    if (part.ns.prefix === ns.prefix && part.ns.type === ns.type && part.intervals.length === intervals.length && part.intervals.every((iv, i) => iv === intervals[i])) return part;
  }
  return batch.part({}, ns, intervals);
}
