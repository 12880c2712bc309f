import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileConfig } from "../../config/index.js";
import { NameIndex } from "../../graphite/name-index.js";
import { buildRuntime, type Runtime } from "../../runtime/runtime.js";
import { StoreRegistry, WriteBatch } from "../../timeseries/index.js";
import type { NamePoints, NameSource, PointRead, PointSource } from "./graphite-data.js";
import { DirectPointSource } from "./points/direct-point-source.js";
import { RenderBudget, chooseRenderInterval, fetchPath, readOriginCells, renderIntervals, type PathFetchDeps } from "./path-fetch.js";

const DAY = 86_400;
const NOW = 1_800_000_000 - (1_800_000_000 % DAY) + 3 * 3600 + 30; // 03:00:30 on some day

let runtime: Runtime;
const registry = new StoreRegistry();
beforeAll(async () => {
  runtime = await buildRuntime(
    compileConfig({
      SCHEMAS: {
        // Declared first: answers every `t.*` name.
        timers: { type: "histogram", match: "^t\\.", prefix: "t", intervals: { minute: { step: 60, steps: 60 }, hour: { step: "1h", steps: 24 }, day: { step: "daily", steps: 400 } } },
        also_t: { type: "count", match: "^t\\.", prefix: "t2", intervals: { second: { step: 1, steps: 60 } } },
        weeks: { type: "count", match: "^w\\.", prefix: "w", intervals: { week: { step: "weekly", steps: 10, resolution: "daily" } } },
        months: { type: "count", match: "^m\\.", prefix: "m", intervals: { month: { step: "monthly", steps: 12 } } },
      },
    }),
    registry,
  );
});
afterAll(() => registry.closeAll());

const schema = (name: string) => runtime.schema(name)!;

describe("the interval a range is read from", () => {
  it("the finest whose retention covers now − from, else the one reaching furthest back", () => {
    const pick = (from: number) => chooseRenderInterval(schema("timers"), from, NOW)?.interval.name;
    expect(pick(NOW - 3600)).toBe("minute");
    expect(pick(NOW - 3601)).toBe("hour");
    expect(pick(NOW - 24 * 3600)).toBe("hour");
    expect(pick(NOW - 30 * DAY)).toBe("day");
    expect(pick(NOW - 1000 * DAY)).toBe("day");
  });

  it("calendar steps: weekly with daily sub-buckets serves daily points; monthly alone serves nothing", () => {
    expect(renderIntervals(schema("weeks")).map((c) => [c.interval.name, c.pointStep, c.retention])).toEqual([["week", DAY, 70 * DAY]]);
    expect(renderIntervals(schema("months"))).toEqual([]);
    expect(chooseRenderInterval(schema("months"), NOW - DAY, NOW)).toBeNull();
  });
});

/** A NameSource over fixed names, and a PointSource that records reads and gives each point its own time. */
function deps(names: Record<string, string[]>, budget = new RenderBudget(100, 1_000_000)) {
  const index = new NameIndex();
  for (const [s, list] of Object.entries(names)) index.replace(s, list);
  // Every find's size, to tell a walk cut at the budget from one that listed everything.
  const finds: { found: number; truncated: boolean }[] = [];
  const find: NameIndex["find"] = (pattern, options) => {
    const r = index.find(pattern, options);
    finds.push({ found: r.nodes.length, truncated: r.truncated });
    return r;
  };
  const source: NameSource = { index: () => Object.assign(Object.create(index) as NameIndex, { find }), ready: async () => {}, close: async () => {} };
  const reads: PointRead[] = [];
  const points: PointSource = {
    async read(read: PointRead): Promise<NamePoints[]> {
      reads.push(read);
      const step = read.interval.resolution?.seconds ?? read.interval.step.seconds;
      const end = read.interval.bucketOf(read.last) + read.interval.durationOf(read.last);
      return read.names.map(() => {
        const values = new Float64Array((end - read.first) / step);
        values.forEach((_, i) => (values[i] = read.first + i * step));
        return { start: read.first, step, values };
      });
    },
  };
  const d: PathFetchDeps = { runtime, names: source, points, now: NOW, budget, xFilesFactor: 0 };
  return { d, reads, finds };
}

describe("fetchPath", () => {
  it("leaves only, first matching schema, whisper alignment, origin and consolidation set, sorted by path", async () => {
    const { d, reads } = deps({ timers: ["t.b.x", "t.a.x", "t.a.x.deeper"], weeks: ["w.a.x"], months: ["m.a.x"] });
    const from = NOW - 600;
    const out = await fetchPath("*.*.x", from, NOW + 500, d);
    expect(out.map((s) => s.name)).toEqual(["t.a.x", "t.b.x", "w.a.x"]);
    const [a, , w] = out;
    // Minute points t with from < t ≤ now (until is clamped to now).
    const start = from - (from % 60) + 60;
    expect([a.start, a.end, a.step]).toEqual([start, NOW - (NOW % 60) + 60, 60]);
    expect(Array.from(a.values)).toEqual(Array.from({ length: 10 }, (_, i) => start + 60 * i));
    expect(a).toMatchObject({ pathExpression: "*.*.x", tags: { name: "t.a.x" }, consolidationFunc: "average", origin: { schema: "timers", interval: "minute", name: "t.a.x", type: "histogram" } });
    expect(w).toMatchObject({ step: DAY, consolidationFunc: "sum", origin: { schema: "weeks", interval: "week" } });
    // One read per (schema, interval): both t names together.
    expect(reads.map((r) => [r.schema.compiled.name, r.names])).toEqual([["timers", ["t.a.x", "t.b.x"]], ["weeks", ["w.a.x"]]]);
  });

  it("a range entirely in the future gives nothing; one beyond retention reads the coarsest interval", async () => {
    const { d } = deps({ timers: ["t.a.x"] });
    expect(await fetchPath("t.a.x", NOW + 10, NOW + 100, d)).toEqual([]);
    const [old] = await fetchPath("t.a.x", NOW - 1000 * DAY, NOW, d);
    // Clamped to the daily interval's 400 days.
    expect(old.step).toBe(DAY);
    expect(old.start).toBe(NOW - 400 * DAY - ((NOW - 400 * DAY) % DAY) + DAY);
  });

  it("RENDER_MAX_SERIES and RENDER_MAX_POINTS are charged before any read", async () => {
    const names = Array.from({ length: 50 }, (_, i) => `t.n${i}.x`);
    const few = deps({ timers: names }, new RenderBudget(10, 1_000_000));
    await expect(fetchPath("t.*.x", NOW - 600, NOW, few.d)).rejects.toMatchObject({ code: "TORUS_ERR_GRAPHITE_TOO_MANY_SERIES", message: expect.stringMatching(/RENDER_MAX_SERIES/) });
    expect(few.reads).toEqual([]);
    const small = deps({ timers: names }, new RenderBudget(100, 400));
    // 50 names × 10 points = 500 > 400.
    await expect(fetchPath("t.*.x", NOW - 600, NOW, small.d)).rejects.toMatchObject({ code: "TORUS_ERR_GRAPHITE_TOO_MANY_POINTS", message: expect.stringMatching(/RENDER_MAX_POINTS/) });
    expect(small.reads).toEqual([]);
    // 100,000 names under one glob: the find stops at the budget's limit, the answer is a quick 400.
    const many = deps({ timers: Array.from({ length: 100_000 }, (_, i) => `t.m${i}.x`) }, new RenderBudget(100, 1_000_000));
    const started = performance.now();
    await expect(fetchPath("t.*.x", NOW - 600, NOW, many.d)).rejects.toMatchObject({ code: "TORUS_ERR_GRAPHITE_TOO_MANY_SERIES" });
    expect(many.finds).toEqual([{ found: 101, truncated: true }]);
    // A gross-regression guard only: the walk's size above is what tells a cut from a full listing.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(many.reads).toEqual([]);
    // The budget is per request: two fetches of 30 names pass 50 together.
    const shared = deps({ timers: names }, new RenderBudget(50, 1_000_000));
    await fetchPath("t.n1*.x", NOW - 600, NOW, shared.d);
    await expect(fetchPath("t.*.x", NOW - 600, NOW, shared.d)).rejects.toMatchObject({ code: "TORUS_ERR_GRAPHITE_TOO_MANY_SERIES" });
  });
});

describe("through the store", () => {
  it("DirectPointSource points and readOriginCells rows cover the same (from, until]", async () => {
    const ts = schema("timers").series;
    const batch = new WriteBatch();
    for (const [v, t] of [[5, NOW - 190], [7, NOW - 185], [9, NOW - 125], [100, NOW - 3000]] as const) ts.stage(batch, "t.h.x", v, t, 0, NOW);
    await schema("timers").store.write(batch);
    const { d } = deps({ timers: ["t.h.x"] });
    const live: PathFetchDeps = { ...d, points: new DirectPointSource() };
    const from = NOW - 300;
    const [s] = await fetchPath("t.h.x", from, NOW, live);
    const m = NOW - (NOW % 60);
    const byTime = new Map(Array.from(s.values).map((v, i) => [s.start + i * s.step, v]));
    expect(byTime.get(m - 180)).toBe(6); // mean of 5 and 7
    expect(byTime.get(m - 120)).toBe(9);
    expect(s.values.length).toBe(5);
    const [rows] = await readOriginCells([s.origin!], from, NOW, live);
    expect(rows.map((r) => [r[0], r[2], r[3]])).toEqual([[m - 180, "5", 1], [m - 180, "7", 1], [m - 120, "9", 1]]);
  });
});
