/**
 * A batch part seen as nested maps, for tests to build and inspect parts
 * by their meaning: name → per interval (undefined when none) → sub-bucket
 * → cell. Cells by type: count → its sum; histogram → Map member → n;
 * set → Set of members; series → values in arrival order; gauge →
 * `{ value, ts }`.
 */
import type { BatchPart } from "../batch-part.js";
import type { Cell, Cells, GaugeCell } from "../cells.js";
import type { WriteBatch } from "../write-batch.js";

export type PerInterval = Array<Cells | undefined>;

/** The part's cells as nested maps, in the part's order. */
export function cellsView(part: BatchPart): Map<string, PerInterval> {
  const out = new Map<string, PerInterval>();
  const type = part.ns.type;
  for (let slot = 0; slot < part.names.length; slot++) {
    const per: PerInterval = new Array<Cells | undefined>(part.intervals.length);
    for (let i = 0; i < part.intervals.length; i++) {
      for (let c = part.head(slot, i); c !== -1; c = part.cellNext[c]) {
        const rows: Array<[string | number, number | undefined]> = [];
        part.cellRows(c, { row: (a, b) => void rows.push([a, b]) });
        let cell: Cell;
        if (type === "count") cell = rows[0][0] as number;
        else if (type === "gauge") cell = { value: rows[0][0] as string, ts: rows[0][1]! } satisfies GaugeCell;
        else if (type === "histogram") cell = new Map(rows.map(([a, b]) => [a as string, b!]));
        else if (type === "set") cell = new Set(rows.map(([a]) => a as string));
        else cell = rows.map(([a]) => a as string);
        (per[i] ??= new Map()).set(part.cellSub[c], cell);
      }
    }
    out.set(part.names[slot], per);
  }
  return out;
}

/** The cells of `name` in the first part of `batch` (the usual single-schema test), or undefined. */
export function namedCells(batch: WriteBatch, name: string): PerInterval | undefined {
  const part = batch.parts.values().next().value;
  return part === undefined ? undefined : cellsView(part).get(name);
}

/** Put nested-map cells into a part under `name`, merged as staging merges; returns the rows added. */
export function putCells(part: BatchPart, name: string, perInterval: PerInterval): number {
  const slot = part.slot(name);
  let added = 0;
  perInterval.forEach((cells, i) => {
    if (!cells) return;
    for (const [sub, cell] of cells) {
      if (typeof cell === "number") added += part.add(slot, i, sub, cell, 0);
      else if (cell instanceof Map) for (const [m, n] of cell) added += part.add(slot, i, sub, m, n);
      else if (cell instanceof Set || Array.isArray(cell)) for (const m of cell) added += part.add(slot, i, sub, m, 0);
      else added += part.add(slot, i, sub, cell.value, cell.ts);
    }
  });
  return added;
}
