import { describe, expect, it } from "vitest";
import { Timeseries } from "../../timeseries.js";
import { WriteBatch } from "../../write-batch.js";
import type { Store } from "../../store.js";
import type { TypeName } from "../../cells.js";
import { BatchPoints } from "./batch-points.js";

const T = 1_700_000_000 - (1_700_000_000 % 3600);
// Staging never touches the store.
const NO_STORE = {} as Store;

// Text is kept as given, so values Carbon cannot read reach the relay.
const asText = (v: unknown) => String(v);

function schema(type: TypeName, intervals: Record<string, { step: number | string; resolution?: number }> = { raw: { step: 1 } }, prefix = "") {
  return new Timeseries(NO_STORE, { type, intervals, prefix, clock: () => T + 3000, write_func: asText });
}

function batchOf(ts: Timeseries, points: Array<[string, unknown, number]>): WriteBatch {
  const batch = new WriteBatch();
  for (const [name, value, t] of points) ts.stage(batch, name, value, t);
  return batch;
}

function convert(bp: BatchPoints, batch: WriteBatch) {
  const dropped: Record<string, number> = {};
  const points = bp.points(batch, (reason, n) => (dropped[reason] = (dropped[reason] ?? 0) + n));
  return { points: points.map((p) => [p.name, p.ts, p.value]), dropped };
}

const fresh = () => new BatchPoints({ horizonSeconds: 3600, maxOpen: 1000, clock: () => T });

describe("what a relay forwards of a batch", () => {
  it("series: every value as received, at its timestamp (one-second buckets)", () => {
    const s = schema("series");
    const out = convert(fresh(), batchOf(s, [["a", 1, T], ["a", 2.5, T + 1], ["a", 3, T + 1], ["b", -4, T + 7]]));
    expect(out.points).toEqual([["a", T, 1], ["a", T + 1, 2.5], ["a", T + 1, 3], ["b", T + 7, -4]]);
  });

  it("gauge: the newest value of each bucket at its own timestamp, from the finest interval only", () => {
    const g = schema("gauge", { hour: { step: "1h" }, minute: { step: 60 } });
    const out = convert(fresh(), batchOf(g, [["g", 5, T + 10], ["g", 7, T + 50], ["g", 9, T + 61]]));
    expect(out.points).toEqual([["g", T + 50, 7], ["g", T + 61, 9]]);
  });

  it("count: the bucket's total at the bucket start, the whole total again when a later batch adds to it", () => {
    const c = schema("count", { minute: { step: 60 } });
    const bp = fresh();
    expect(convert(bp, batchOf(c, [["c", 1, T + 1], ["c", 2, T + 30], ["c", 4, T + 61]])).points).toEqual([["c", T, 3], ["c", T + 60, 4]]);
    expect(convert(bp, batchOf(c, [["c", 10, T + 59]])).points).toEqual([["c", T, 13]]);
  });

  it("histogram: the mean of the bucket's values so far; set: its distinct members so far", () => {
    const h = schema("histogram", { minute: { step: 60 } });
    const bp = fresh();
    expect(convert(bp, batchOf(h, [["h", 1, T], ["h", 1, T + 1], ["h", 4, T + 2]])).points).toEqual([["h", T, 2]]);
    expect(convert(bp, batchOf(h, [["h", 10, T + 3]])).points).toEqual([["h", T, 4]]);
    const u = schema("set", { minute: { step: 60 } }, "u");
    expect(convert(bp, batchOf(u, [["u", "x", T], ["u", "y", T + 1], ["u", "x", T + 2]])).points).toEqual([["u", T, 2]]);
    expect(convert(bp, batchOf(u, [["u", "z", T], ["u", "x", T]])).points).toEqual([["u", T, 3]]);
  });

  it("drops what Carbon cannot hold: text values and names with spaces, counted by reason", () => {
    const s = schema("series");
    const out = convert(fresh(), batchOf(s, [["ok", "1", T], ["ok", "warm", T], ["has space", 1, T], ["has space", 2, T], ["bell\u0007", 3, T]]));
    expect(out.points).toEqual([["ok", T, 1]]);
    expect(out.dropped).toEqual({ not_numeric: 1, bad_name: 3 });
  });

  it("forgets a bucket's running total past the horizon, and past the most buckets kept", () => {
    let now = T;
    const bp = new BatchPoints({ horizonSeconds: 100, maxOpen: 2, clock: () => now });
    const c = schema("count", { minute: { step: 60 } });
    convert(bp, batchOf(c, [["a", 1, T], ["b", 1, T], ["c", 1, T]]));
    expect(bp.openBuckets).toBe(2);
    now += 101;
    expect(convert(bp, batchOf(c, [["c", 1, T]])).points).toEqual([["c", T, 1]]);
    expect(bp.openBuckets).toBe(1);
  });
});
