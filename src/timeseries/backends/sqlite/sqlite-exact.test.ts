import { describe, expect, it } from "vitest";
import { WriteBatch } from "../../write-batch.js";
import { Timeseries } from "../../timeseries.js";
import { SqliteStore } from "./sqlite-store.js";

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0) / 1000;
const INTERVALS = { minute: { step: 60, steps: 100 }, hour: { step: 3600, resolution: 60, steps: 10 } };

/** Reads go through SQLite's JSON rendering: every value must come back bit for bit. */
describe("sqlite reads are exact", () => {
  const values = [0.1, 0.2, 1e300, -1e300, 2 ** 53, -(2 ** 53), 2 ** 53 - 1, 1 / 3, 5e-324, 1.7976931348623157e308, 123456789.12345679, 3, 0];

  it("count totals: one value per minute bucket, and sums of two", async () => {
    const store = new SqliteStore("sqlite:///:memory:");
    const ts = new Timeseries(store, { type: "count", intervals: INTERVALS, clock: () => NOW });
    const first = NOW - 60 * 50;
    const batch = new WriteBatch();
    values.forEach((v, i) => ts.stage(batch, "exact", v, first + i * 60));
    // 0.1 + 0.2 in one bucket: the stored total is the double JavaScript computes.
    ts.stage(batch, "exact", 0.1, first + 40 * 60);
    ts.stage(batch, "exact", 0.2, first + 40 * 60);
    await store.write(batch);
    const got = await ts.series("exact", "minute", { start: first, end: first + 40 * 60, transform: "sum" });
    values.forEach((v, i) => expect(Object.is(got.get(first + i * 60), v), `${v}`).toBe(true));
    expect(got.get(first + 40 * 60)).toBe(0.1 + 0.2);
    // The resolution path (sub-buckets, condensed) reads the same rows.
    const hourly = await ts.series("exact", "hour", { start: first, end: first, condense: false });
    const subs = [...hourly.values()][0] as Map<number, number>;
    const seen = [...subs.values()];
    for (const v of values.filter((x) => x !== 0 && x !== 3)) expect(seen).toContain(v);
    await store.close();
  });

  it("an infinite count total reads back as Infinity", async () => {
    const store = new SqliteStore("sqlite:///:memory:");
    const ts = new Timeseries(store, { type: "count", intervals: INTERVALS, clock: () => NOW });
    const batch = new WriteBatch();
    ts.stage(batch, "inf", 1.7976931348623157e308, NOW);
    await store.write(batch);
    const again = new WriteBatch();
    ts.stage(again, "inf", 1.7976931348623157e308, NOW);
    await store.write(again);
    expect((await ts.series("inf", "minute", { steps: 1 })).get(NOW - (NOW % 60))).toBe(Infinity);
    await store.close();
  });

  it("text members, gauge values and histogram counts keep every character and digit", async () => {
    const store = new SqliteStore("sqlite:///:memory:");
    const texts = ['a,b', 'quote " and \\ backslash', "line\nbreak\ttab", "ünïcødé ✓ 🚀", "[1,2]", "null", "", " 7 "];
    const str = { read_func: (v: string) => v, write_func: (v: unknown) => String(v) };
    const set = new Timeseries(store, { type: "set", intervals: INTERVALS, clock: () => NOW, ...str });
    const series = new Timeseries(store, { type: "series", intervals: INTERVALS, clock: () => NOW, prefix: "s_", ...str });
    const hist = new Timeseries(store, { type: "histogram", intervals: INTERVALS, clock: () => NOW, prefix: "h_", ...str });
    const gauge = new Timeseries(store, { type: "gauge", intervals: INTERVALS, clock: () => NOW, prefix: "g_", ...str });
    const batch = new WriteBatch();
    for (const t of texts.filter((x) => x !== "")) set.stage(batch, "t", t, NOW);
    for (const t of texts.filter((x) => x !== "")) series.stage(batch, "t", t, NOW);
    for (let i = 0; i < 3; i++) hist.stage(batch, "t", "a,b", NOW);
    hist.stage(batch, "t", "9007199254740991", NOW);
    gauge.stage(batch, "t", "ünïcødé ✓ 🚀", NOW);
    await store.write(batch);
    const bucket = NOW - (NOW % 60);
    const one = async (t: Timeseries) => (await t.series("t", "minute", { steps: 1 })).get(bucket);
    expect(await one(set)).toEqual(new Set(texts.filter((x) => x !== "")));
    expect(await one(series)).toEqual(texts.filter((x) => x !== ""));
    expect(await one(hist)).toEqual(new Map([["a,b", 3], ["9007199254740991", 1]]));
    expect(await one(gauge)).toBe("ünïcødé ✓ 🚀");
    await store.close();
  });
});
