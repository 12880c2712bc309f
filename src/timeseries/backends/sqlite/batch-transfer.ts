import { Interval } from "../../intervals.js";
import { BatchPart, type PartColumns } from "../../batch-part.js";
import { TYPE_NAMES, type TypeName } from "../../store.js";
import { WriteBatch } from "../../write-batch.js";

/**
 * A WriteBatch as the SQLite writer thread receives it: each part's
 * columns (copies, their buffers transferred, not cloned), its names and
 * text, and the intervals by spec. Nothing is laid out per row on either
 * side: the thread writes from the columns as they are.
 */
export interface TransferredBatch {
  parts: Array<{ prefix: string; type: TypeName; intervals: IntervalSpec[]; columns: PartColumns }>;
  size: number;
  points: number;
  /** The batch's flush id: the thread's store records it with the rows. */
  flushId?: string;
  /** A merged replay's flush ids (see `WriteBatch.flushIds`), recorded the same way. */
  flushIds?: readonly string[];
}

interface IntervalSpec {
  name: string;
  step: string | number;
  resolution: string | number | null;
  steps: number | null;
}

/** The batch for the thread, and the buffers to transfer; throws on a part no store could write (an unknown type), before anything is sent. */
export function batchForThread(batch: WriteBatch): { message: TransferredBatch; transfer: ArrayBuffer[] } {
  const parts: TransferredBatch["parts"] = [];
  const transfer: ArrayBuffer[] = [];
  for (const part of batch.parts.values()) {
    const type = part.ns.type;
    if (!(TYPE_NAMES as readonly string[]).includes(type)) throw new Error(`no table for type ${JSON.stringify(type)}`);
    const { columns, transfer: buffers } = part.columns();
    transfer.push(...buffers);
    parts.push({
      prefix: part.ns.prefix,
      type,
      intervals: part.intervals.map((iv) => ({ name: iv.name, step: iv.step.spec, resolution: iv.resolution?.spec ?? null, steps: iv.steps })),
      columns,
    });
  }
  return { message: { parts, size: batch.size, points: batch.points, flushId: batch.flushId, flushIds: batch.flushIds }, transfer };
}

/** The batch again on the thread's side, for writing; `intervalCache` keeps Interval objects across batches. */
export function batchFromThread(message: TransferredBatch, intervalCache = new Map<string, Interval>()): WriteBatch {
  const batch = new WriteBatch();
  for (const p of message.parts) {
    const intervals = p.intervals.map((spec) => {
      const key = JSON.stringify(spec);
      let iv = intervalCache.get(key);
      if (!iv) intervalCache.set(key, (iv = new Interval(spec.name, spec)));
      return iv;
    });
    batch.parts.set({}, BatchPart.fromColumns({ prefix: p.prefix, type: p.type }, intervals, p.columns));
  }
  batch.size = message.size;
  batch.points = message.points;
  batch.flushId = message.flushId;
  batch.flushIds = message.flushIds;
  return batch;
}

/**
 * The column buffers of a batch the thread received, to hand back with its
 * reply once written: transferred, they leave the thread's heap at once.
 * Left to the thread's collector they would wait for a full collection
 * (their wrappers outlive a young one during the write), tens of MB of dead
 * columns per file under load.
 */
export function transferredBuffers(message: TransferredBatch): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const { columns: c } of message.parts) {
    for (const a of [c.heads, c.cellSub, c.cellNum, c.cellNext, c.cellFirst, c.cellRowCount, c.rowN, c.rowNext, ...(c.rowKey ? [c.rowKey] : [])]) out.add(a.buffer as ArrayBuffer);
  }
  return [...out];
}
