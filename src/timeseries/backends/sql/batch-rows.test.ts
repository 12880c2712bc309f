import { describe, expect, it } from "vitest";
import { putCells } from "../../testing/batch-view.js";
import { Interval } from "../../intervals.js";
import type { Cells } from "../../cells.js";
import type { TypeName } from "../../store.js";
import { WriteBatch } from "../../write-batch.js";
import { chunks, partRows } from "./batch-rows.js";
import type { TableRow } from "./sql-dialect.js";

const minute = new Interval("minute", { step: 60 });
const hour = new Interval("hour", { step: "1h", resolution: 600 });

function part(type: TypeName, names: Record<string, Array<Cells | undefined>>) {
  const batch = new WriteBatch();
  const p = batch.part({}, { prefix: "t_", type }, [minute, hour]);
  for (const [name, cells] of Object.entries(names)) putCells(p, name, cells);
  return p;
}

describe("partRows", () => {
  const ids = new Map([["b", 2], ["a", 1]]);

  it.each<[TypeName, Record<string, Array<Cells | undefined>>, TableRow[]]>([
    ["count", { b: [new Map([[120, 2], [60, 1]])], a: [new Map([[60, 5]])] }, [[1, 10, 60, 0, 5], [2, 10, 60, 0, 1], [2, 10, 120, 0, 2]]],
    ["count", { a: [undefined, new Map([[3600 + 1200, 4]])] }, [[1, 20, 3600, 1200, 4]]],
    ["gauge", { a: [new Map([[60, { value: "7", ts: 61 }]])] }, [[1, 10, 60, 0, "7", 61]]],
    ["histogram", { a: [new Map([[60, new Map([["9", 1], ["10", 2]])]])] }, [[1, 10, 60, 0, "10", 2], [1, 10, 60, 0, "9", 1]]],
    ["set", { a: [new Map([[60, new Set(["z", "A"])]])] }, [[1, 10, 60, 0, "A"], [1, 10, 60, 0, "z"]]],
    // Series keep arrival order: no sorting, values in the order staged.
    ["series", { b: [new Map([[60, ["3", "1"]]])], a: [new Map([[60, ["2"]]])] }, [[2, 10, 60, 0, "3"], [2, 10, 60, 0, "1"], [1, 10, 60, 0, "2"]]],
  ])("%s %j", (type, names, want) => {
    expect(partRows(part(type, names), ids, [10, 20])).toEqual(want);
  });
});

describe("chunks", () => {
  const rows: TableRow[] = Array.from({ length: 10 }, (_, i) => [i, 1, 2, 3, "x".repeat(i)]);
  it.each([
    [100, 1e9, [10]],
    [4, 1e9, [4, 4, 2]],
    [10, 1, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]],
    [10, 250, [2, 2, 2, 2, 1, 1]],
  ])("rows ≤ %d, bytes ≤ %d → sizes %j", (maxRows, maxBytes, sizes) => {
    const got = [...chunks(rows, maxRows, maxBytes)];
    expect(got.map((c) => c.length)).toEqual(sizes);
    expect(got.flat()).toEqual(rows);
  });

  it("yields nothing for no rows", () => {
    expect([...chunks([], 10, 100)]).toEqual([]);
  });
});
