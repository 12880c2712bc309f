/**
 * histogramPercentile and distinctCount over a real SQLite store written through the timeseries library:
 * the EvalContext's readCells is `Store.read` of that store. Expectations are computed from the raw samples
 * written (sorted, then picked by graphite-web's nPercentile rank rule; members unioned), never from the
 * functions' own output.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../timeseries/backends/sqlite/sqlite-store.js";
import { Timeseries } from "../../timeseries/timeseries.js";
import { WriteBatch } from "../../timeseries/write-batch.js";
import type { Row } from "../../timeseries/store.js";
import { consolidateForMaxDataPoints } from "../consolidate.js";
import { createSeries, datapoints, type Series, type SeriesOrigin } from "../series.js";
import { callFunction, type EvalContext } from "./index.js";
import { GraphiteFunctionError } from "./errors.js";

const T0 = 1_795_737_600; // a multiple of 3600
const NOW = T0 + 86_400;
const STEP = 60;
const POINTS = 60;
const INTERVALS = { minute: { step: 60 }, hour: { step: 3600, resolution: 60 } };

let dir: string;
let store: SqliteStore;
const schemas = new Map<string, Timeseries>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "torus-stored-"));
  store = new SqliteStore(`sqlite:///${join(dir, "cells.db")}`);
  schemas.set("latency", new Timeseries(store, { type: "histogram", intervals: INTERVALS, clock: () => NOW, prefix: "h_", label: "latency" }));
  schemas.set("users", new Timeseries(store, { type: "set", intervals: INTERVALS, clock: () => NOW, prefix: "s_", label: "users", write_func: String }));
  schemas.set("hits", new Timeseries(store, { type: "count", intervals: INTERVALS, clock: () => NOW, prefix: "c_", label: "hits" }));
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** readCells as the contract says: Store.read of each origin, rows whose points lie in (from, until]. */
async function readCells(origins: readonly SeriesOrigin[], from: number, until: number): Promise<Row[][]> {
  return Promise.all(
    origins.map(async (o) => {
      const ts = schemas.get(o.schema)!;
      const iv = ts.interval(o.interval);
      const [rows] = await store.read(ts.ns, [o.name], o.interval, iv.bucketOf(from + 1), iv.bucketOf(until));
      return rows.filter((r) => r[1] > from && r[1] <= until);
    }),
  );
}

function ctx(extra: Partial<EvalContext> = {}): EvalContext {
  return {
    from: T0 - STEP,
    until: T0 + (POINTS - 1) * STEP,
    now: NOW,
    fetch: async () => [],
    readCells,
    ...extra,
  };
}

/** A fetched series as the evaluator gives it: points T0 … T0+59·60, origin set. */
function fetched(schema: string, name: string, pathExpression: string, interval = "minute", start = T0, points = POINTS): Series {
  const type = schemas.get(schema)!.type.name;
  return {
    ...createSeries({ name, start, step: STEP, values: new Array(points).fill(null), pathExpression }),
    origin: { schema, interval, name, type },
  };
}

async function write(schema: string, name: string, samples: Map<number, (number | string)[]>): Promise<void> {
  const ts = schemas.get(schema)!;
  const batch = new WriteBatch();
  for (const [t, values] of samples) for (const v of values) ts.stage(batch, name, v, t);
  await store.write(batch);
}

/** graphite-web's nPercentile rank rule, written out: rank = ceil(n/100·(N+1)) clamped to [1, N]. */
function expectedPercentile(samples: number[], n: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((n / 100) * (sorted.length + 1))));
  // Stores keep a sample's value, not the sign of a zero: -0 reads back as 0.
  return sorted[rank - 1] + 0;
}

/** Deterministic samples for minute i of series `k` (some minutes empty). */
function samplesOf(k: number, i: number): number[] {
  if ((i + k) % 7 === 0) return [];
  const out: number[] = [];
  for (let j = 0; j < 1 + ((i * 3 + k) % 5); j++) out.push(((i * 37 + j * 11 + k * 5) % 97) + (j % 2 ? 0.5 : 0));
  return out;
}

describe("histogramPercentile", () => {
  const raw = new Map<string, Map<number, number[]>>();
  beforeAll(async () => {
    for (const [k, host] of ["web1", "web2"].entries()) {
      const m = new Map<number, number[]>();
      for (let i = 0; i < POINTS; i++) {
        const s = samplesOf(k, i);
        if (s.length) m.set(T0 + i * STEP, s);
      }
      raw.set(host, m);
      await write("latency", `app.${host}.latency`, m);
    }
  });
  const list = () => [fetched("latency", "app.web1.latency", "app.*.latency"), fetched("latency", "app.web2.latency", "app.*.latency")];
  const samplesAt = (t: number) => [...(raw.get("web1")!.get(t) ?? []), ...(raw.get("web2")!.get(t) ?? [])];

  it("merges the cells of every series, point by point, named from the path expressions", async () => {
    const [out] = await callFunction(ctx(), "histogramPercentile", [list(), 90]);
    expect(out.name).toBe("histogramPercentile(app.*.latency,90)");
    expect(out.tags.aggregatedBy).toBe("histogramPercentile");
    expect(out.step).toBe(STEP);
    const want = Array.from({ length: POINTS }, (_, i) => [expectedPercentile(samplesAt(T0 + i * STEP), 90), T0 + i * STEP]);
    expect(datapoints(out)).toEqual(want);
    // Minute 0 of web1 and minute 6 of web2 are empty, minute 7·k of web1 is too: no minute is empty in both.
    expect(want.some(([v]) => v === null)).toBe(false);
  });

  it("is null where neither series has cells", async () => {
    const a = fetched("latency", "app.web1.latency", "app.web1.latency");
    const [out] = await callFunction(ctx(), "histogramPercentile", [[a], 50]);
    const dp = datapoints(out);
    for (let i = 0; i < POINTS; i++) expect(dp[i][0]).toBe(expectedPercentile(raw.get("web1")!.get(T0 + i * STEP) ?? [], 50));
    expect(dp[0][0]).toBeNull();
    expect(dp[7][0]).toBeNull();
  });

  it("reads sub-buckets as the points of an interval with a resolution", async () => {
    const hourly = [fetched("latency", "app.web1.latency", "app.*.latency", "hour"), fetched("latency", "app.web2.latency", "app.*.latency", "hour")];
    const [out] = await callFunction(ctx(), "histogramPercentile", [hourly, 99]);
    expect(datapoints(out).map(([v]) => v)).toEqual(Array.from({ length: POINTS }, (_, i) => expectedPercentile(samplesAt(T0 + i * STEP), 99)));
  });

  it("with maxDataPoints, merges the buckets consolidation joins and sits where consolidation puts points", async () => {
    // §7 on 60 points at a multiple of 3600 with mdp 20: vpp 3, first point T0+180 joins base points 2, 3, 4.
    const c = ctx({ maxDataPoints: 20 });
    const [out] = await callFunction(c, "histogramPercentile", [list(), 75]);
    const dp = datapoints(out);
    expect(dp.length).toBe(20);
    for (let k = 0; k < 20; k++) {
      const samples = [2, 3, 4].flatMap((j) => samplesAt(T0 + (3 * k + j) * STEP));
      expect(dp[k]).toEqual([expectedPercentile(samples, 75), T0 + 180 + 180 * k]);
    }
    // The consolidation after the last function leaves it as it is.
    const [again] = consolidateForMaxDataPoints([out], 20);
    expect(datapoints(again.series)).toEqual(dp);
    expect(again.timestamps).toEqual(dp.map(([, t]) => t));
  });

  it("with maxDataPoints=1, one point of every cell", async () => {
    const [out] = await callFunction(ctx({ maxDataPoints: 1 }), "histogramPercentile", [list(), 50]);
    const all = Array.from({ length: POINTS }, (_, i) => samplesAt(T0 + i * STEP)).flat();
    expect(datapoints(out)).toEqual([[expectedPercentile(all, 50), T0]]);
  });

  it("applies xFilesFactor to joined points: a group needs that share of base points with cells", async () => {
    const a = fetched("latency", "app.web1.latency", "app.web1.latency");
    const [out] = await callFunction(ctx({ maxDataPoints: 20, xFilesFactor: 1 }), "histogramPercentile", [[a], 50]);
    const web1 = raw.get("web1")!;
    datapoints(out).forEach(([v], k) => {
      const ts = [2, 3, 4].map((j) => T0 + (3 * k + j) * STEP);
      const full = ts.every((t) => web1.has(t));
      expect(v).toBe(full ? expectedPercentile(ts.flatMap((t) => web1.get(t) ?? []), 50) : null);
    });
  });

  it("n = 0 is the smallest sample, n = 100 the largest", async () => {
    const [lo] = await callFunction(ctx({ maxDataPoints: 1 }), "histogramPercentile", [list(), 0]);
    const [hi] = await callFunction(ctx({ maxDataPoints: 1 }), "histogramPercentile", [list(), 100]);
    const all = Array.from({ length: POINTS }, (_, i) => samplesAt(T0 + i * STEP)).flat();
    expect(lo.values[0]).toBe(Math.min(...all));
    expect(hi.values[0]).toBe(Math.max(...all));
  });

  it("gives no series for an empty list", async () => {
    expect(await callFunction(ctx(), "histogramPercentile", [[], 50])).toEqual([]);
  });

  it("400s on n outside [0, 100], a computed series, and a series of another type", async () => {
    const bad = async (args: unknown[], re: RegExp) => {
      const err = await callFunction(ctx(), "histogramPercentile", args as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GraphiteFunctionError);
      expect((err as GraphiteFunctionError).code).toBe("TORUS_ERR_GRAPHITE_ARG_VALUE");
      expect((err as Error).message).toMatch(re);
    };
    await bad([list(), -1], /histogramPercentile: argument "n": must be between 0 and 100, got -1/);
    await bad([list(), 100.5], /between 0 and 100, got 100\.5/);
    const scaled = await callFunction(ctx(), "scale", [list(), 2]);
    await bad([scaled, 50], /scale\(app\.web1\.latency,2\) is computed, not read from a store/);
    await bad([[createSeries({ name: "x", start: T0, step: 60, values: [1] })], 50], /x is computed/);
    await bad([[fetched("hits", "app.hits", "app.hits")], 50], /app\.hits is stored as count \(schema hits\); histogramPercentile reads histogram schemas only/);
    await bad([[fetched("users", "app.users", "app.users")], 50], /stored as set/);
  });

  it("keeps reading through alias, group and sorting (they keep the origin)", async () => {
    const aliased = await callFunction(ctx(), "aliasByNode", [list(), 1]);
    const sorted = await callFunction(ctx(), "sortByName", [aliased]);
    const [out] = await callFunction(ctx(), "histogramPercentile", [sorted, 90]);
    const [direct] = await callFunction(ctx(), "histogramPercentile", [list(), 90]);
    expect(Array.from(out.values)).toEqual(Array.from(direct.values));
  });
});

describe("histogramPercentile property: merged cells = the concatenated raw samples", () => {
  let run = 0;
  it("for any samples, series and n, with and without maxDataPoints", async () => {
    const sample = fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.array(sample, { maxLength: 6 }), { minLength: 12, maxLength: 12 }), { minLength: 1, maxLength: 3 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.constantFrom(undefined, 1, 2, 5, 11),
        async (series, n, mdp) => {
          run++;
          const list: Series[] = [];
          const byPoint: number[][] = Array.from({ length: 12 }, () => []);
          for (const [k, points] of series.entries()) {
            const name = `prop.r${run}.s${k}`;
            const m = new Map<number, number[]>();
            points.forEach((vs, i) => {
              if (vs.length) m.set(T0 + i * STEP, vs);
              byPoint[i].push(...vs);
            });
            await write("latency", name, m);
            list.push(fetched("latency", name, `prop.r${run}.*`, "minute", T0, 12));
          }
          const [out] = await callFunction(ctx({ maxDataPoints: mdp }), "histogramPercentile", [list, n]);
          // Which base points each output point joins: consolidation of the indices themselves (min and max).
          const index = createSeries({ name: "i", start: T0, step: STEP, values: byPoint.map((_, i) => i) });
          const groups =
            mdp === undefined
              ? byPoint.map((_, i) => [i, i])
              : (() => {
                  const lo = consolidateForMaxDataPoints([{ ...index, consolidationFunc: "min" }], mdp)[0].series.values;
                  const hi = consolidateForMaxDataPoints([{ ...index, consolidationFunc: "max" }], mdp)[0].series.values;
                  return Array.from(lo, (a, k) => [a, hi[k]]);
                })();
          const want = groups.map(([a, b]) => expectedPercentile(byPoint.slice(a, b + 1).flat(), n));
          expect(datapoints(out).map(([v]) => v)).toEqual(want);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("distinctCount", () => {
  const members = new Map<string, Map<number, string[]>>();
  beforeAll(async () => {
    for (const [k, host] of ["web1", "web2"].entries()) {
      const m = new Map<number, string[]>();
      for (let i = 0; i < POINTS; i++) {
        if ((i + k) % 5 === 0) continue;
        m.set(T0 + i * STEP, Array.from({ length: 1 + ((i + k) % 4) }, (_, j) => `u${(i + j * 3 + k) % 9}`));
      }
      members.set(host, m);
      await write("users", `app.${host}.users`, m);
    }
  });
  const list = () => [fetched("users", "app.web1.users", "app.*.users"), fetched("users", "app.web2.users", "app.*.users")];
  const at = (t: number) => [...(members.get("web1")!.get(t) ?? []), ...(members.get("web2")!.get(t) ?? [])];
  const distinct = (xs: string[]) => (xs.length ? new Set(xs).size : null);

  it("unions members across the series, point by point", async () => {
    const [out] = await callFunction(ctx(), "distinctCount", [list()]);
    expect(out.name).toBe("distinctCount(app.*.users)");
    expect(datapoints(out)).toEqual(Array.from({ length: POINTS }, (_, i) => [distinct(at(T0 + i * STEP)), T0 + i * STEP]));
  });

  it("unions across the buckets maxDataPoints joins, which is not a sum of per-bucket counts", async () => {
    const [out] = await callFunction(ctx({ maxDataPoints: 20 }), "distinctCount", [list()]);
    const dp = datapoints(out);
    expect(dp.length).toBe(20);
    let smaller = 0;
    for (let k = 0; k < 20; k++) {
      const ts = [2, 3, 4].map((j) => T0 + (3 * k + j) * STEP);
      const union = distinct(ts.flatMap(at));
      expect(dp[k]).toEqual([union, T0 + 180 + 180 * k]);
      const summed = ts.reduce((acc, t) => acc + (distinct(at(t)) ?? 0), 0);
      if (union !== null && union < summed) smaller++;
    }
    expect(smaller).toBeGreaterThan(0);
    expect(datapoints(consolidateForMaxDataPoints([out], 20)[0].series)).toEqual(dp);
  });

  it("is null where no members are stored, and 400s on another type or a computed series", async () => {
    const [one] = await callFunction(ctx(), "distinctCount", [[fetched("users", "app.web1.users", "app.web1.users")]]);
    expect(one.values[0]).toBeNaN();
    await expect(callFunction(ctx(), "distinctCount", [[fetched("latency", "app.web1.latency", "x")]])).rejects.toThrow(
      /distinctCount: argument "seriesList": app\.web1\.latency is stored as histogram \(schema latency\); distinctCount reads set schemas only/,
    );
    await expect(callFunction(ctx(), "distinctCount", [await callFunction(ctx(), "offset", [list(), 1])])).rejects.toThrow(/is computed/);
    expect(await callFunction(ctx(), "distinctCount", [[]])).toEqual([]);
  });
});
