import fc from "fast-check";
import { cellsView, putCells } from "../../timeseries/testing/batch-view.js";
import { Interval, WriteBatch, type TypeName } from "../../timeseries/index.js";
import type { Cell, Cells } from "../../timeseries/cells.js";

/** Test helper: random WriteBatches of every type, and a batch as plain values for comparing. */
const INTERVALS = [new Interval("minute", { step: 60 }), new Interval("hour", { step: "1h", resolution: 600, steps: 48 })];
const text = fc.string({ unit: "binary", maxLength: 12 });
const sub = fc.integer({ min: 0, max: 2_000_000_000 }).map((n) => n * 60);

const cellOf: Record<TypeName, fc.Arbitrary<Cell>> = {
  // A count total is any finite double (+0 for -0: stores add, and 0 + -0 is 0).
  count: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0),
  gauge: fc.record({ value: text, ts: fc.integer({ min: 0, max: 2 ** 32 }) }),
  histogram: fc.uniqueArray(fc.tuple(text, fc.integer({ min: 1, max: 1e9 })), { minLength: 1, maxLength: 5, selector: (t) => t[0] }).map((e) => new Map(e)),
  set: fc.uniqueArray(text, { minLength: 1, maxLength: 5 }).map((m) => new Set(m)),
  series: fc.array(text, { minLength: 1, maxLength: 5 }),
};

function cellsArb(type: TypeName): fc.Arbitrary<Cells> {
  return fc.uniqueArray(fc.tuple(sub, cellOf[type]), { maxLength: 4, selector: (t) => t[0] }).map((e) => new Map(e) as Cells);
}

const partArb = fc.constantFrom<TypeName>("count", "gauge", "histogram", "set", "series").chain((type) =>
  fc.record({
    type: fc.constant(type),
    prefix: fc.constantFrom("", "t_", "ünï_"),
    names: fc.uniqueArray(fc.tuple(text, fc.tuple(fc.option(cellsArb(type), { nil: undefined }), fc.option(cellsArb(type), { nil: undefined }))), { maxLength: 6, selector: (t) => t[0] }),
  }),
);

export const batchArb: fc.Arbitrary<WriteBatch> = fc
  .record({ parts: fc.array(partArb, { maxLength: 5 }), points: fc.nat(), flushId: fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: undefined }) })
  .map(({ parts, points, flushId }) => {
    const batch = new WriteBatch();
    for (const p of parts) {
      const part = batch.part({}, { prefix: p.prefix, type: p.type }, INTERVALS);
      for (const [name, [a, b]] of p.names) {
        // Empty maps carry no rows; a decoded batch has none of them.
        const per = [a?.size ? a : undefined, b?.size ? b : undefined];
        if (per.some(Boolean)) batch.size += putCells(part, name, per);
      }
    }
    batch.points = points;
    batch.flushId = flushId;
    return batch;
  });

/** A batch as plain data (parts in order, owners left out), for `toEqual`. */
export function plain(batch: WriteBatch): unknown {
  return {
    flushId: batch.flushId,
    size: batch.size,
    points: batch.points,
    parts: [...batch.parts.values()]
      .filter((p) => p.names.length > 0)
      .map((p) => ({
        ns: p.ns,
        intervals: p.intervals.map((iv) => iv.name),
        names: [...cellsView(p)].map(([name, per]) => [name, Array.from(per, (cells) => (cells ? [...cells].map(([s, c]) => [s, c instanceof Map ? [...c].sort() : c instanceof Set ? [...c].sort() : c]).sort((x, y) => (x[0] as number) - (y[0] as number)) : null))]),
      })),
  };
}
