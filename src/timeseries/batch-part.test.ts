import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Cell, Cells, Row, TypeName } from "./cells.js";
import { TYPE_NAMES } from "./cells.js";
import { Timeseries } from "./timeseries.js";
import { WriteBatch } from "./write-batch.js";
import { BatchPart } from "./batch-part.js";
import { SqliteStore } from "./backends/sqlite/sqlite-store.js";
import { cellsView, putCells, type PerInterval } from "./testing/batch-view.js";
import type { Store } from "./store.js";

/**
 * The columnar batch against the nested-map staging it replaced: the same
 * points (rolling intervals, retention edges, several names and
 * timestamps) staged both ways give the same rows in the same order, and a
 * store given the columnar batch returns exactly the reference's rows.
 */

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0) / 1000;
// Retention edges: a few kept buckets, a resolution inside the bucket, and an interval kept forever.
const INTERVALS = { minute: { step: 60, steps: 5 }, hour: { step: "1h", resolution: 600, steps: 3 }, day: { step: "1d" } };
const NAMES = ["a", "b.c", "d.e.f", "ü.n", "x"];

/** The reference: how one prepared point merged into nested maps, per type (the staging the columns replaced). */
function referenceStage(type: TypeName, cells: Cells, sub: number, value: number | string, ts: number): number {
  const prev = cells.get(sub);
  switch (type) {
    case "count":
      cells.set(sub, ((prev as number | undefined) ?? 0) + (value as number));
      return prev === undefined ? 1 : 0;
    case "gauge": {
      const g = prev as { value: string; ts: number } | undefined;
      if (!g) cells.set(sub, { value: value as string, ts });
      else if (ts >= g.ts) {
        g.value = value as string;
        g.ts = ts;
      }
      return g ? 0 : 1;
    }
    case "histogram": {
      const h = (prev as Map<string, number> | undefined) ?? new Map<string, number>();
      cells.set(sub, h);
      const n = h.get(value as string);
      h.set(value as string, (n ?? 0) + 1);
      return n === undefined ? 1 : 0;
    }
    case "set": {
      const s = (prev as Set<string> | undefined) ?? new Set<string>();
      cells.set(sub, s);
      if (s.has(value as string)) return 0;
      s.add(value as string);
      return 1;
    }
    case "series": {
      const a = (prev as string[] | undefined) ?? [];
      cells.set(sub, a);
      a.push(value as string);
      return 1;
    }
  }
}

/** Rows in iteration order: `name interval sub a [b]`, one string per stored row. */
function orderedRows(view: Map<string, PerInterval>): string[] {
  const out: string[] = [];
  for (const [name, per] of view) {
    per.forEach((cells, i) => {
      for (const [sub, cell] of cells ?? []) for (const [a, b] of cellRows(cell)) out.push(`${name} ${i} ${sub} ${JSON.stringify(a)}${b === undefined ? "" : ` ${b}`}`);
    });
  }
  return out;
}

function cellRows(cell: Cell): Array<[string | number, number | undefined]> {
  if (typeof cell === "number") return [[cell, undefined]];
  if (cell instanceof Map) return [...cell].map(([m, n]) => [m, n]);
  if (cell instanceof Set || Array.isArray(cell)) return [...cell].map((m) => [m, undefined]);
  return [[cell.value, cell.ts]];
}

const point = fc.record({
  name: fc.constantFrom(...NAMES),
  // From past every retention to a little ahead of now; mostly on and around bucket and retention edges, so points share cells and timestamps.
  age: fc.oneof(fc.constantFrom(-60, -1, 0, 1, 59, 60, 61, 299, 300, 301, 600, 3599, 3600, 3 * 3600, 3 * 3600 + 1, 4 * 3600), fc.integer({ min: -120, max: 5 * 3600 })),
  count: fc.integer({ min: -1000, max: 1000 }),
  text: fc.constantFrom("0", "1", "2.5", "-7", "1e3", "abc", "ü"),
  rolling: fc.constantFrom(0, 0, 1, 2, -1),
});

const none = { url: "none://" } as unknown as Store;
// Text types keep any text (not only numbers) as it came.
const options = (type: TypeName) => ({ type, intervals: INTERVALS, clock: () => NOW, ...(type === "count" ? {} : { write_func: String }) });

describe("columnar batches stage as the nested maps did", () => {
  it.each(TYPE_NAMES)("%s: the same rows, in the same order, and the same size", (type) => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 120 }), (points) => {
        const ts = new Timeseries(none, options(type));
        const batch = new WriteBatch();
        const reference = new Map<string, PerInterval>();
        let size = 0;
        for (const p of points) {
          const t = NOW - p.age;
          const value = type === "count" ? p.count : p.text;
          ts.stage(batch, p.name, value, t, p.rolling, NOW);
          const prepared = ts.prepare(value, t, p.rolling, NOW);
          let per = reference.get(p.name);
          if (!per) reference.set(p.name, (per = ts.intervals.map(() => undefined)));
          const k = 1 + Math.abs(p.rolling);
          for (let i = 0; i < ts.intervals.length; i++) {
            for (let r = 0; r < k; r++) {
              const sub = prepared.subs[i * k + r];
              if (sub !== sub) continue;
              size += referenceStage(type, (per[i] ??= new Map()), sub, prepared.written as number | string, prepared.t);
            }
          }
        }
        const part = batch.parts.get(ts);
        const got = part ? cellsView(part) : new Map<string, PerInterval>();
        expect(orderedRows(got)).toEqual(orderedRows(reference));
        expect(batch.size).toBe(size);
        expect(batch.points).toBe(points.length);

        // Halves of a split hold the rows in the same order: the first's, then the second's.
        const halves = batch.split();
        if (halves === null) return;
        expect(halves[0].size + halves[1].size).toBe(batch.size);
        const joined = new WriteBatch();
        for (const half of halves) for (const hp of half.parts.values()) for (const [name, per] of cellsView(hp)) putCells(joined.part(ts, ts.ns, ts.intervals), name, per);
        expect(orderedRows(cellsView(joined.parts.get(ts)!))).toEqual(orderedRows(got));

        // What a writer thread rebuilds from the part's columns holds the same rows.
        if (part) {
          const { columns } = part.columns();
          const copy = structuredClone(columns);
          const rebuilt = BatchPart.fromColumns(ts.ns, ts.intervals, copy);
          expect(orderedRows(cellsView(rebuilt))).toEqual(orderedRows(got));
          // And again from a rebuilt part's columns (a spooled batch decoded for writing, handed to the thread).
          expect(orderedRows(cellsView(BatchPart.fromColumns(ts.ns, ts.intervals, structuredClone(rebuilt.columns().columns))))).toEqual(orderedRows(got));
        }
      }),
      { numRuns: 150, seed: 17 },
    );
  });

  it.each(TYPE_NAMES)("%s: a store given the columnar batch returns the reference's rows, row for row", async (type) => {
    await fc.assert(
      fc.asyncProperty(fc.array(point, { minLength: 1, maxLength: 80 }), async (points) => {
        const store = new SqliteStore("sqlite:///:memory:");
        try {
          const ts = new Timeseries(store, options(type));
          const batch = new WriteBatch();
          const reference = new Map<string, PerInterval>();
          for (const p of points) {
            const t = NOW - p.age;
            const value = type === "count" ? p.count : p.text;
            ts.stage(batch, p.name, value, t, p.rolling, NOW);
            const prepared = ts.prepare(value, t, p.rolling, NOW);
            let per = reference.get(p.name);
            if (!per) reference.set(p.name, (per = ts.intervals.map(() => undefined)));
            const k = 1 + Math.abs(p.rolling);
            for (let i = 0; i < ts.intervals.length; i++) {
              for (let r = 0; r < k; r++) {
                const sub = prepared.subs[i * k + r];
                if (sub === sub) referenceStage(type, (per[i] ??= new Map()), sub, prepared.written as number | string, prepared.t);
              }
            }
          }
          await store.write(batch);
          const names = [...reference.keys()];
          for (let i = 0; i < ts.intervals.length; i++) {
            const iv = ts.intervals[i];
            const read = await store.read(ts.ns, names, iv.name, iv.bucketOf(NOW - 3 * 86400), NOW + 3 * 86400);
            names.forEach((name, n) => {
              const want: Row[] = [];
              for (const [sub, cell] of reference.get(name)![i] ?? []) {
                for (const [a, b] of cellRows(cell)) want.push(b === undefined ? [iv.bucketOf(sub), sub, a] : [iv.bucketOf(sub), sub, a, b]);
              }
              const got = read[n].map((row) => (row[3] === undefined || row[3] === null ? [row[0], row[1], row[2]] : [row[0], row[1], row[2], row[3]]));
              // Series keep arrival order within a sub-bucket; other rows have no order of their own.
              expect(sortRows(got as Row[], type)).toEqual(sortRows(want, type));
            });
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 60, seed: 17 },
    );
  });
});

function sortRows(rows: Row[], type: TypeName): string[] {
  const text = rows.map((r) => JSON.stringify(r.map((x) => (type === "count" && typeof x === "string" ? Number(x) : x))));
  if (type !== "series") return text.sort();
  // Stable by (bucket, sub): arrival order kept inside one sub-bucket.
  return rows
    .map((r, k) => ({ r, k, s: text[k] }))
    .sort((x, y) => x.r[0] - y.r[0] || x.r[1] - y.r[1] || x.k - y.k)
    .map((x) => x.s);
}
