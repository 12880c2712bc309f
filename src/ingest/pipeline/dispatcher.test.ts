import { pino } from "pino";
import { cellsView, namedCells } from "../../timeseries/testing/batch-view.js";
import { afterAll, describe, expect, it } from "vitest";
import { compileConfig } from "../../config/index.js";
import { buildRuntime } from "../../runtime/runtime.js";
import { StoreRegistry, WriteBatch } from "../../timeseries/index.js";
import { MAX_NAME_BYTES } from "../../timeseries/limits.js";
import { LineFramer } from "../protocols/plaintext/line-framer.js";
import { Dispatcher } from "./dispatcher.js";
import { createIngestLog } from "./ingest-log.js";
import { KarbonMetrics } from "../karbon-metrics.js";

const NOW = 1_800_000_000;
const registry = new StoreRegistry();
afterAll(() => registry.closeAll());
const dispatchers: Dispatcher[] = [];
afterAll(() => dispatchers.forEach((d) => d.close()));

/** A dispatcher over in-memory stores, its batches (one per schema) and its counters; the clock pinned at NOW. */
async function setup(exports: Record<string, unknown>) {
  const config = compileConfig(exports);
  const runtime = await buildRuntime(config, registry);
  const metrics = new KarbonMetrics();
  const sources = runtime.schemas.map(() => ({ batch: new WriteBatch() }));
  const d = new Dispatcher(runtime, (i) => sources[i], createIngestLog(pino({ level: "silent" }), 0), metrics, () => NOW);
  dispatchers.push(d);
  const bad = () => Object.fromEntries(metrics.badLines);
  const cells = (i: number, name: string) => namedCells(sources[i].batch, name)?.[0];
  return { d, sources, metrics, bad, cells, config };
}

const minute = { minute: { step: 60, steps: 60 } };

describe("Dispatcher: schemas judge values on their own", () => {
  it("a value one schema rejects and another accepts is stored by the one and is not a bad line", async () => {
    const { d, bad, sources } = await setup({
      SCHEMAS: {
        counts: { type: "count", match: "^x\\.", intervals: minute, prefix: "d1c" },
        words: { type: "set", match: "^x\\.", intervals: minute, prefix: "d1s", write_func: (v: unknown) => {
          if (v === "boom") throw new Error("no booms");
          return String(v);
        } },
      },
    });
    const hello = d.process("x.a", "hello", NOW);
    expect(hello.staged).toBe(1); // counts rejects, words accepts
    expect(hello.rejection).toBeNull();
    expect(sources[0].batch.empty).toBe(true);
    expect(sources[1].batch.size).toBe(1);
    expect(d.process("x.a", "5", NOW).staged).toBe(2);
    expect(bad()).toEqual({});
    const boom = d.process("x.b", "boom", NOW);
    expect(boom.staged).toBe(0); // counts: not a number; words: its write_func throws
    expect(boom.rejection?.reason).toBe("bad_value");
    expect(boom.rejection?.message).toMatch(/boom/);
    expect(bad()).toEqual({ bad_value: 1 });
    expect([...d.stored]).toEqual([1, 2]);
  });
});

describe("Dispatcher: the timestamp window", () => {
  const cases: Array<[string, Record<string, unknown>, number, string | null]> = [
    ["a day ahead", {}, NOW + 86_400, null],
    ["a second more", {}, NOW + 86_401, "too_far_future"],
    ["2^53 - 1", {}, 9_007_199_254_740_991, "too_far_future"],
    ["the longest retention behind", {}, NOW - 86_400, null],
    ["a second more behind", {}, NOW - 86_401, "too_far_past"],
    ["the epoch", {}, 0, "too_far_past"],
    ["MAX_FUTURE 0: now", { MAX_FUTURE: 0 }, NOW, null],
    ["MAX_FUTURE 0: a second ahead", { MAX_FUTURE: 0 }, NOW + 1, "too_far_future"],
    ["MAX_PAST 60", { MAX_PAST: 60 }, NOW - 61, "too_far_past"],
    ["MAX_PAST null: no bound", { MAX_PAST: null }, 0, null],
  ];
  it.each(cases)("%s", async (_label, extra, ts, reason) => {
    const { d, bad } = await setup({
      SCHEMAS: { c: { match: "^c\\.", prefix: "d2", intervals: { minute: { step: 60, steps: 60 }, hour: { step: 3600, steps: 24 } } } },
      ...extra,
    });
    const { staged, rejection } = d.process("c.t", "1", ts);
    if (reason === null) {
      expect(bad()).toEqual({});
      expect(rejection).toBeNull();
    } else {
      expect(staged).toBe(0);
      expect(bad()).toEqual({ [reason]: 1 });
      expect(rejection?.reason).toBe(reason);
      expect(rejection?.message).toMatch(reason === "too_far_future" ? /ahead of now.*MAX_FUTURE/ : /behind now.*MAX_PAST/);
    }
  });

  it("an interval that keeps everything leaves the past unbounded by default", async () => {
    const { d, bad, config } = await setup({
      SCHEMAS: {
        c: { match: "^c\\.", prefix: "d3a", intervals: minute },
        forever: { match: "^c\\.", prefix: "d3b", intervals: { day: { step: "daily" } } },
      },
    });
    expect(config.maxPast).toBeNull();
    // Both schemas take the point (the minute one then skips its expired bucket); the daily one keeps it.
    expect(d.process("c.old", "1", 86_400).staged).toBe(2);
    expect(bad()).toEqual({});
  });

  it("the default MAX_PAST is the longest step × steps of any schema", async () => {
    const { config } = await setup({
      SCHEMAS: {
        a: { match: "^a", prefix: "d4a", intervals: { minute: { step: 60, steps: 1440 } } },
        b: { match: "^b", prefix: "d4b", intervals: { week: { step: "1w", steps: 52 }, hour: { step: "1h", steps: 10 } } },
      },
    });
    expect(config.maxPast).toBe(52 * 7 * 86_400);
    expect(config.maxFuture).toBe(86_400);
  });
});

describe("Dispatcher: what no store can hold is bad input", () => {
  const schemas = {
    SCHEMAS: {
      c: { type: "count", match: "^c", prefix: "d5c", intervals: minute },
      s: { type: "set", match: "^s", prefix: "d5s", intervals: minute, write_func: String },
    },
  };
  const long = (n: number, ch = "a") => ch.repeat(n);
  const cases: Array<[string, string, string, string | null]> = [
    ["a NUL in a name", "c.a\u0000b", "1", "nul_byte"],
    ["a name at the byte limit", `c${long(MAX_NAME_BYTES - 1)}`, "1", null],
    ["a name one byte over", `c${long(MAX_NAME_BYTES)}`, "1", "name_too_long"],
    ["a name short in characters but over in UTF-8 bytes", `c${long(700, "é€")}`, "1", "name_too_long"],
    ["a set member with a NUL", "s.m", "a\u0000b", "nul_byte"],
    ["a set member over the byte limit", "s.m", long(MAX_NAME_BYTES + 1), "value_too_long"],
    ["a set member at the limit", "s.m", long(MAX_NAME_BYTES), null],
  ];
  it.each(cases)("%s", async (_label, stat, value, reason) => {
    const { d, bad } = await setup(schemas);
    const { staged } = d.process(stat, value, NOW);
    expect(bad()).toEqual(reason ? { [reason]: 1 } : {});
    expect(staged).toBe(reason ? 0 : 1);
  });

  it("a stat name no store can hold makes none of its rollups either", async () => {
    const { d, bad, sources } = await setup({ ...schemas, AGGREGATES: [["c.total", "c.*"]] });
    expect(d.process("c.a\u0000b", "1", NOW).staged).toBe(0);
    expect(bad()).toEqual({ nul_byte: 1 });
    expect(sources[0].batch.empty).toBe(true);
    expect([...d.emitted]).toEqual([0]);
    expect(d.process("c.ok", "1", NOW).staged).toBe(2); // c.ok and c.total
  });

  it("a count whose merged total would not be finite is refused and leaves the staged total alone", async () => {
    const { d, bad, cells } = await setup(schemas);
    expect(d.process("c.big", "1e308", NOW).staged).toBe(1);
    const over = d.process("c.big", "1e308", NOW);
    expect(over.staged).toBe(0);
    expect(over.rejection?.reason).toBe("not_finite");
    expect(over.rejection?.message).toMatch(/overflow/);
    expect(bad()).toEqual({ not_finite: 1 });
    expect([...cells(0, "c.big")!.values()]).toEqual([1e308]);
    // Other buckets of the same name, and small values, still merge.
    expect(d.process("c.big", "1e308", NOW + 60).staged).toBe(1);
    expect(d.process("c.big", "-1e308", NOW).staged).toBe(1);
    expect([...cells(0, "c.big")!.values()]).toEqual([0, 1e308]);
  });
});

describe("Dispatcher: tagged names", () => {
  const schemas = { SCHEMAS: { disk: { type: "gauge", match: "^disk\\.used;datacenter=dc1;", prefix: "d6t", intervals: minute } } };

  it("stores the canonical name (tags sorted), which is what schemas match", async () => {
    const { d, bad, sources } = await setup(schemas);
    expect(d.process("disk.used;host=web01;datacenter=dc1", "42", NOW).staged).toBe(1);
    expect(d.process('disk.used{host="web02",datacenter="dc1"}', "1", NOW).staged).toBe(1);
    expect(bad()).toEqual({});
    const names = [...(sources[0].batch.parts.values().next().value?.names ?? [])];
    expect(names.sort()).toEqual(["disk.used;datacenter=dc1;host=web01", "disk.used;datacenter=dc1;host=web02"]);
  });

  it.each([
    ["an empty value", "disk.used;datacenter="],
    ["a value starting with ~", "disk.used;datacenter=~dc1"],
    ["a key with !", "disk.used;data!center=dc1"],
    ["a segment with no =", "disk.used;datacenter"],
  ])("%s is a bad line counted as bad_tag, and the next point still lands", async (_label, stat) => {
    const { d, bad } = await setup(schemas);
    const out = d.process(stat, "1", NOW);
    expect(out.staged).toBe(0);
    expect(out.rejection?.reason).toBe("bad_tag");
    expect(d.process(stat, "1", NOW).rejection?.reason).toBe("bad_tag"); // the remembered refusal
    expect(bad()).toEqual({ bad_tag: 2 });
    expect(d.process("disk.used;host=x;datacenter=dc1", "1", NOW).staged).toBe(1);
  });
});

describe("Dispatcher: lines by name id give what lines by string give", () => {
  /** Every row of every batch, in staging order: name, interval, sub-bucket, cell. */
  const rows = (sources: Array<{ batch: WriteBatch }>) =>
    sources.map(({ batch }) => {
      const out: string[] = [];
      for (const part of batch.parts.values()) {
        for (const [name, perInterval] of cellsView(part)) {
          perInterval.forEach((cells, i) => {
            for (const [sub, cell] of cells ?? []) out.push(`${name} ${i} ${sub} ${JSON.stringify(cell instanceof Map || cell instanceof Set ? [...cell] : cell)}`);
          });
        }
      }
      return out;
    });

  it("the same rows, counters and rejections, with write_func and transforms still handed text", async () => {
    const seen: unknown[] = [];
    const exports = (prefix: string) => ({
      SCHEMAS: {
        counts: { type: "count", match: "^c\\.", intervals: minute, prefix: `${prefix}c` },
        hist: { type: "histogram", match: "^h\\.", intervals: { minute: { step: 60, steps: 60 }, hour: { step: 3600, steps: 2 } }, prefix: `${prefix}h`, write_func: (v: unknown) => (seen.push(v), Math.round(Number(v))) },
        gauges: { type: "gauge", match: "^g\\.", intervals: minute, prefix: `${prefix}g`, transform: (name: string, v: unknown) => (seen.push(v), [`${name}.t`, v]) },
        tagged: { type: "count", match: "^t", intervals: minute, prefix: `${prefix}t` },
      },
      AGGREGATES: [["c.<app>", "c.<app>.*"], ["h.<app>", "h.<app>.*"]],
    });
    const byString = await setup(exports("ids1"));
    const byId = await setup(exports("ids2"));
    const lines = [
      `c.a.x 1 ${NOW}`,
      `c.a.y 2.5 ${NOW}`,
      `c.a.x -0 ${NOW - 60}`,
      `c.a.x 1e3 ${NOW}`,
      `c.a.x abc ${NOW}`,
      `h.a.x 12.5 ${NOW}`,
      `h.a.x 13 ${NOW}`,
      `g.a 7 ${NOW}`,
      `g.a 8.25 ${NOW + 1}`,
      `t;b=2;a=1 3 ${NOW}`,
      `t;a=1;b=2 4 ${NOW}`,
      `t;=bad 4 ${NOW}`,
      `c.a.x 1 ${NOW + 10 * 86_400}`,
      `nothing.matches 1 ${NOW}`,
      `c.a.x 1 ${NOW}`,
    ].join("\n");
    const text = Buffer.from(`${lines}\n${lines}\n`);
    // The string path: a sink that only has `point`.
    new LineFramer({ point: (n, v, t) => byString.d.point(n, v, t), bad: (r, e) => byString.d.bad(r, e) }).push(text);
    const fromStrings = seen.splice(0);
    new LineFramer(byId.d).push(text);
    expect(byId.d.names.size).toBeGreaterThan(0);
    expect(seen).toEqual(fromStrings);
    expect(seen.every((v) => typeof v === "string")).toBe(true);
    expect(rows(byId.sources)).toEqual(rows(byString.sources));
    expect(byId.bad()).toEqual(byString.bad());
    expect([...byId.d.stored]).toEqual([...byString.d.stored]);
    expect([...byId.d.emitted]).toEqual([...byString.d.emitted]);
    expect(byId.metrics.pointsReceived).toBe(byString.metrics.pointsReceived);
  });

  it("a full name table is started afresh at a flush, and names carry on by string meanwhile", async () => {
    const { d, sources } = await setup({ SCHEMAS: { c: { type: "count", match: "^c\\.", intervals: minute, prefix: "ids3" } }, NAME_TABLE_MB: 0.001 });
    const text = Buffer.from(Array.from({ length: 100 }, (_, i) => `c.n${i} 1 ${NOW}\n`).join(""));
    new LineFramer(d).push(text);
    expect(d.names.full).toBe(true);
    const held = d.names.size;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(100);
    expect(sources[0].batch.size).toBe(100);
    d.resetNamesIfFull();
    expect(d.names.size).toBe(0);
    new LineFramer(d).push(text);
    expect(sources[0].batch.size).toBe(100);
    expect(sources[0].batch.points).toBe(200);
  });
});
