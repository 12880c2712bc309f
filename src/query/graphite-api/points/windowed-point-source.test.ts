import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileConfig } from "../../../config/index.js";
import type { Runtime, RuntimeSchema } from "../../../runtime/runtime.js";
import { SqliteStore } from "../../../timeseries/backends/sqlite/sqlite-store.js";
import { JOURNAL_KEEP } from "../../../timeseries/backends/sqlite/sqlite-changes.js";
import { Timeseries, TYPE_NAMES, type TypeName } from "../../../timeseries/index.js";
import { prng } from "../../../timeseries/testing/conformance.js";
import { shouldRun } from "../../../timeseries/testing/must-run.js";
import type { PointRead } from "../graphite-data.js";
import { DirectPointSource } from "./direct-point-source.js";
import { dropAll, pointRuntime, schemaOf, storesUnderTest } from "./point-fixture.case.js";
import { WindowedPointSource, windowedPoints } from "./windowed-point-source.js";

const HOUR = 3600;
const START = 1_800_000_000 - (1_800_000_000 % HOUR);
/** Retention, so `expire` has something to drop: 8 hours of minutes, 12 hours. */
const INTERVALS = { minute: { step: 60, steps: 480 }, hour: { step: "1h", resolution: 60, steps: 12 } };
const NAMES = ["a", "b", "c", "d"];

const direct = new DirectPointSource();

/**
 * The writer: another connection to the same file (as karbon is another
 * process), its timeseries on a clock the test moves.
 */
class Writer {
  now = START;
  private readonly series = new Map<TypeName, Timeseries>();
  constructor(
    readonly store: SqliteStore,
    reader: Runtime,
  ) {
    for (const type of TYPE_NAMES) this.series.set(type, new Timeseries(store, { ...schemaOf(reader, type).compiled.options, clock: () => this.now }));
  }
  ts(type: TypeName): Timeseries {
    return this.series.get(type)!;
  }
}

/** The reads every step compares: a window sliding with the writer's clock, a fixed old one, sub-buckets, two panels' worth of names. */
function readsAt(reader: Runtime, type: TypeName, now: number): PointRead[] {
  const schema = schemaOf(reader, type);
  const minute = schema.series.interval("minute");
  const hour = schema.series.interval("hour");
  const names = NAMES.map((n) => `${type}.${n}`);
  const m = now - (now % 60);
  const h = now - (now % HOUR);
  return [
    { schema, interval: minute, names, first: m - 180 * 60, last: m },
    { schema, interval: minute, names: names.slice(1, 3), first: m - 30 * 60, last: m + 5 * 60 },
    { schema, interval: minute, names: [names[0]], first: START, last: START + 90 * 60 },
    { schema, interval: hour, names: [...names, `${type}.never`], first: h - 4 * HOUR, last: h },
  ];
}

async function expectSame(source: WindowedPointSource, reads: PointRead[], step: string): Promise<void> {
  for (const read of reads) {
    const want = await direct.read(read);
    const got = await source.read(read);
    expect(got.map((p) => ({ start: p.start, step: p.step, values: [...p.values] })), `${step}: ${read.interval.name} ${read.names.join(",")} ${read.first}..${read.last}`).toEqual(
      want.map((p) => ({ start: p.start, step: p.step, values: [...p.values] })),
    );
  }
}

describe("WindowedPointSource on SQLite: always the direct answer, while another connection writes", () => {
  let dir: string;
  let reader: Runtime;
  let writer: Writer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "torus-window-"));
    const url = `sqlite:///${join(dir, "points.db")}`;
    reader = await pointRuntime(url, "win", INTERVALS);
    // The reader runtime created the schema's tables; the writer is a second connection to the file.
    writer = new Writer(new SqliteStore(url), reader);
  });
  afterAll(async () => {
    await writer.store.close();
    await dropAll(reader);
    rmSync(dir, { recursive: true, force: true });
  });

  for (const type of TYPE_NAMES) {
    it(`${type}: writes moving forward, late points, deletes, delete_all, expire`, async () => {
      const source = new WindowedPointSource({ maxBytes: 64 << 20 });
      const rnd = prng(TYPE_NAMES.indexOf(type) + 11);
      const ts = writer.ts(type);
      writer.now = START + 30 * 60;
      const names = NAMES.map((n) => `${type}.${n}`);
      const value = () => Math.floor(rnd() * 40 - 10) / 4;
      await expectSame(source, readsAt(reader, type, writer.now), "empty");
      for (let step = 0; step < 160; step++) {
        const op = rnd();
        let what: string;
        if (op < 0.6) {
          // Points in the last few minutes, for a few names.
          const points: Record<number, Record<string, number[]>> = {};
          for (let k = 0; k < 1 + Math.floor(rnd() * 6); k++) {
            const t = writer.now - Math.floor(rnd() * 240);
            ((points[t] ??= {})[names[Math.floor(rnd() * names.length)]] ??= []).push(value());
          }
          await ts.bulk_insert(points);
          what = "recent write";
        } else if (op < 0.8) {
          // A late point, hours back (inside retention), with a recent one in the same batch.
          const late = writer.now - Math.floor(rnd() * 7 * HOUR);
          await ts.bulk_insert({ [late]: { [names[0]]: [value()] }, [writer.now]: { [names[0]]: [value()] } });
          what = "late write";
        } else if (op < 0.86) {
          await ts.delete(names[Math.floor(rnd() * names.length)]);
          what = "delete";
        } else if (op < 0.88) {
          await ts.delete_all();
          what = "delete_all";
        } else if (op < 0.94) {
          await ts.expire(rnd() < 0.5 ? names[1] : undefined);
          what = "expire";
        } else {
          what = "nothing";
        }
        await expectSame(source, readsAt(reader, type, writer.now), `step ${step} after ${what}`);
        writer.now += Math.floor(rnd() * 200);
      }
      // A reader that keeps points did keep some (else this test would only have checked the direct read).
      expect(source.size).toBeGreaterThan(0);
    });
  }

  it("a reader whose cursor is older than the journal keeps starts over, and stays exact", async () => {
    const source = new WindowedPointSource({ maxBytes: 64 << 20 });
    const ts = writer.ts("count");
    writer.now = START + 10 * HOUR;
    await ts.insert("count.a", 1, writer.now - 60);
    await expectSame(source, readsAt(reader, "count", writer.now), "before");
    // More journal rows than are kept, each a write of one point: the oldest the reader needs is gone.
    for (let i = 0; i < JOURNAL_KEEP + 300; i++) await ts.insert(i % 2 ? "count.b" : "count.a", 1, writer.now - (i % 120) * 60);
    await expectSame(source, readsAt(reader, "count", writer.now), "after the journal moved past the cursor");
  });

  it("a write through the writer thread of the reading store's own process is seen", async () => {
    const store = new SqliteStore(writer.store.url.replace(/^sqlite:\/\//, "sqlite://"), { writer_thread: true });
    try {
      const ts = new Timeseries(store, { ...schemaOf(reader, "gauge").compiled.options, clock: () => writer.now });
      const source = new WindowedPointSource({ maxBytes: 64 << 20 });
      for (let i = 0; i < 5; i++) {
        await ts.insert("gauge.a", i * 1.5, writer.now - i * 7);
        await expectSame(source, readsAt(reader, "gauge", writer.now), `thread write ${i}`);
      }
    } finally {
      await store.close();
    }
  });

  it("keeps no more than its byte bound, least recently used out, and stays exact", async () => {
    const source = new WindowedPointSource({ maxBytes: 40_000 });
    writer.now = START + 11 * HOUR;
    for (let round = 0; round < 3; round++) {
      for (const type of TYPE_NAMES) {
        await writer.ts(type).insert(`${type}.c`, round + 0.5, writer.now - round * 60);
        // Sub-bucket reads of 5 names × 300 points are 12 kB a read: the bound holds about three.
        await expectSame(source, readsAt(reader, type, writer.now).slice(0, 2), `round ${round} ${type}`);
        expect(source.size).toBeLessThanOrEqual(40_000);
      }
    }
  });
});

for (const target of (await storesUnderTest()).filter((t) => t.label !== "sqlite")) {
  if (!shouldRun(`${target.label} windowed points`, target.available, `no ${target.label} at ${target.url}`)) continue;
  describe(`WindowedPointSource on ${target.label} (no change journal)`, () => {
    let runtime: Runtime;
    beforeAll(async () => {
      runtime = await pointRuntime(target.url, "winfb", INTERVALS);
    });
    afterAll(() => dropAll(runtime));
    it("reads directly every time: new points show at once, nothing is kept", async () => {
      const source = new WindowedPointSource({ maxBytes: 64 << 20 });
      const schema: RuntimeSchema = schemaOf(runtime, "count");
      const now = START + HOUR;
      for (let i = 0; i < 3; i++) {
        await schema.series.insert("count.a", i + 1, now - i * 60);
        await expectSame(source, readsAt(runtime, "count", now), `write ${i}`);
      }
      expect(source.size).toBe(0);
    });
  });
}

describe("POINT_WINDOW_MB", () => {
  it("sets the bound in megabytes (default 256); a negative or non-number is refused naming it", () => {
    expect(compileConfig({ SCHEMAS: {} }).pointWindowBytes).toBe(256 * 1024 * 1024);
    expect(compileConfig({ SCHEMAS: {}, POINT_WINDOW_MB: 1.5 }).pointWindowBytes).toBe(1.5 * 1024 * 1024);
    expect(() => compileConfig({ SCHEMAS: {}, POINT_WINDOW_MB: -1 })).toThrow(/POINT_WINDOW_MB/);
    expect(() => compileConfig({ SCHEMAS: {}, POINT_WINDOW_MB: "lots" })).toThrow(/POINT_WINDOW_MB/);
  });

  it("0 keeps nothing: every read goes to the store, answers unchanged; the bound is read on each request", async () => {
    const url = "sqlite:///:memory:";
    const reader = await pointRuntime(url, "winmb", INTERVALS);
    try {
      let config = { ...reader.config, pointWindowBytes: 0 };
      const source = windowedPoints(() => ({ ...reader, config }));
      const ts = schemaOf(reader, "count").series;
      await ts.insert("count.a", 2, START + 30);
      await expectSame(source, readsAt(reader, "count", START + 60), "off");
      expect(source.size).toBe(0);
      config = { ...reader.config, pointWindowBytes: 1 << 20 };
      await expectSame(source, readsAt(reader, "count", START + 60), "on");
      expect(source.size).toBeGreaterThan(0);
    } finally {
      await dropAll(reader);
    }
  });
});
