/**
 * The one suite every store runs (SQLite now; Redis, PostgreSQL and MySQL
 * plug in the same way). Each test writes through the library and compares
 * every read with the reference model, which computes answers from the raw
 * points. Tests isolate themselves with a fresh prefix.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it as vitestIt, type TestFunction } from "vitest";
import { ErrorCodes, TorusError } from "../errors.js";
import type { IntervalSpec } from "../intervals.js";
import { ReferenceModel } from "./reference-model.js";
import { eventCases } from "./event-cases.js";
import type { Namespace, Store, TypeName } from "../store.js";
import { WriteBatch } from "../write-batch.js";
import { Timeseries, type SeriesOptions, type TimeseriesOptions } from "../timeseries.js";
import type { TransformOption } from "../transforms.js";

export interface ConformanceTarget {
  /** Shown in test names. */
  label: string;
  /** Opens the store once for the suite. */
  open(): Promise<Store>;
  /** Runs after the store is closed (remove files, stop servers). */
  cleanup?(): Promise<void>;
  /**
   * Tests this store does not run: exact test name (without the label) →
   * why. The test shows as skipped with its reason; a name that matches no
   * test fails the suite, so a renamed test cannot leave a stale skip behind.
   */
  skip?: Readonly<Record<string, string>>;
  /**
   * False for a store that keeps no change token (its reads are then never
   * cached): the suite checks it has none instead of checking how it moves.
   */
  changeToken?: boolean;
  /**
   * False for a store whose name rows outlive their data (other processes
   * cache their ids): a name deleted and written again keeps its first place
   * in `listAfter`, and the suite checks that instead (a full listing finds
   * it, which every store is checked for).
   */
  relistsRewritten?: boolean;
}

/** The test of `WriteBatch.flushId` (by name: a store that keeps no record of flushes skips it). */
export const FLUSH_ID_TEST = "a flush written twice with the same flushId is applied once";

/** 2026-03-01T12:34:56Z, a Sunday: month, week and day boundaries are all near. */
export const NOW = Date.UTC(2026, 2, 1, 12, 34, 56) / 1000;
const DAY = 86_400;

export const TYPES: TypeName[] = ["count", "histogram", "series", "gauge", "set"];

/** Intervals covering relative, resolution and Gregorian steps. */
export const INTERVALS: Record<string, IntervalSpec> = {
  minute: { step: 60, steps: 180 },
  hour: { step: "1h", resolution: 600, steps: 72 },
  daily: { step: "daily", resolution: "6h" },
  weekly: { step: "weekly" },
  monthly: { step: "monthly", resolution: "daily", steps: 6 },
};

/** Deterministic pseudo-random numbers (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Numbers rounded to 12 significant digits, recursively: sums taken in another order compare equal. */
export function normalize(v: unknown): unknown {
  if (typeof v === "number") return Number.isFinite(v) ? Number(v.toPrecision(12)) : v;
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [normalize(k), normalize(x)]));
  if (v instanceof Set) return new Set([...v].map(normalize));
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

function sizeOf(data: unknown): number {
  if (data instanceof Map || data instanceof Set) return data.size;
  if (Array.isArray(data)) return data.length;
  return typeof data === "number" ? data : String(data).length;
}

const shape = (data: unknown, duration: number) => [sizeOf(data), duration];
export const TRANSFORMS: Array<[string, TransformOption | undefined]> = [
  ["none", undefined],
  ["mean", "mean"],
  ["avg", "avg"],
  ["count", "count"],
  ["min", "min"],
  ["max", "max"],
  ["sum", "sum"],
  ["rate", "rate"],
  ["function", shape],
  ["list", ["min", "max", shape]],
  ["map", { lo: "min", total: "sum", shape }],
];

interface Write {
  name: string;
  value: number;
  ts: number;
  rolling: number;
}

/** A scenario of points: mostly recent, some weeks back, values with repeats. */
function scenario(seed: number, count: number, names: string[], rolling = false): Write[] {
  const rnd = prng(seed);
  const out: Write[] = [];
  for (let i = 0; i < count; i++) {
    const recent = rnd() < 0.6;
    const age = recent ? Math.floor(rnd() * 3 * 3600) : Math.floor(rnd() * 70 * DAY);
    out.push({
      name: names[Math.floor(rnd() * names.length)],
      value: Math.floor(rnd() * 8) + (rnd() < 0.25 ? 0.5 : 0),
      ts: NOW - age,
      rolling: rolling ? Math.floor(rnd() * 5) - 2 : 0,
    });
  }
  return out;
}

/** Ranges exercising kairos's start/end/steps rules for each interval. */
function ranges(interval: string): SeriesOptions[] {
  switch (interval) {
    case "minute":
      return [{}, { steps: 200 }, { start: NOW - 7200, end: NOW - 3600 }, { start: NOW - 3000, steps: 30 }, { end: NOW - 60, steps: 45 }];
    case "hour":
      return [{}, { start: NOW - 5 * 3600, end: NOW }, { end: NOW - 3600, steps: 10 }];
    case "daily":
      return [{ steps: 10 }, { start: NOW - 75 * DAY, end: NOW }, { start: NOW - 20 * DAY, steps: 7 }];
    case "weekly":
      return [{ steps: 12 }, { end: NOW - 14 * DAY, steps: 6 }];
    default:
      return [{}, { steps: 4 }, { start: NOW - 80 * DAY, end: NOW + DAY }];
  }
}

/** The changeToken test's name (a target may still skip it by name with `skip`). */
export const CHANGE_TOKEN_TEST = "changeToken moves on every commit (write, delete, delete_all, expire) and stays put across reads";


export function conformanceSuite(target: ConformanceTarget): void {
  const skips = new Map(Object.entries(target.skip ?? {}));
  const named = new Set<string>();
  /** `it`, unless the target skips this test by name (with its reason in the test's title). */
  const it = (name: string, fn: TestFunction): void => {
    named.add(name);
    const why = skips.get(name);
    if (why === undefined) vitestIt(name, fn);
    else vitestIt.skip(`${name} (skipped: ${why})`, fn);
  };
  describe(`conformance: ${target.label}`, () => {
    let store: Store;
    let n = 0;
    const prefix = () => `c${Date.now().toString(36)}${(n++).toString(36)}_`;

    beforeAll(async () => {
      store = await target.open();
    });
    afterAll(async () => {
      await store?.close();
      await target.cleanup?.();
    });

    /** Every store in the suite lists incrementally: the name index relies on it to find new names quickly. */
    function listing(s: Store): NonNullable<Store["listAfter"]> {
      expect(typeof s.listAfter, "listAfter").toBe("function");
      return s.listAfter!.bind(s);
    }

    /** `listAfter` page by page from `after` until a short page: the names, the last cursor and each page's size. */
    async function drain(ns: Namespace, after: number, limit?: number): Promise<{ names: string[]; next: number; pages: number[] }> {
      const listAfter = listing(store);
      const names: string[] = [];
      const pages: number[] = [];
      let next = after;
      for (;;) {
        const page = await listAfter(ns, next, limit);
        names.push(...page.names);
        pages.push(page.names.length);
        next = page.next;
        if (limit === undefined || page.names.length < limit) return { names, next, pages };
      }
    }

    function pair(type: TypeName, extra: Partial<TimeseriesOptions> = {}, clock = () => NOW) {
      const options: TimeseriesOptions = { type, intervals: INTERVALS, prefix: prefix(), clock, ...extra };
      return { ts: new Timeseries(store, options), model: new ReferenceModel(options) };
    }

    /** Write a scenario through the library in batches of varying size, and into the model. */
    async function load(ts: Timeseries, model: ReferenceModel, writes: Write[], seed: number): Promise<void> {
      const rnd = prng(seed);
      let batch = new WriteBatch();
      for (const w of writes) {
        ts.stage(batch, w.name, w.value, w.ts, w.rolling);
        model.insert(w.name, w.value, w.ts, w.rolling);
        if (rnd() < 0.05) {
          await store.write(batch);
          batch = new WriteBatch();
        }
      }
      await store.write(batch);
    }

    async function compareAll(ts: Timeseries, model: ReferenceModel, names: string[]): Promise<number> {
      let checked = 0;
      for (const interval of Object.keys(INTERVALS)) {
        for (const range of ranges(interval)) {
          for (const stat of [names[0], names]) {
            for (const [tname, transform] of TRANSFORMS) {
              for (const condense of [false, true]) {
                for (const collapse of [false, true]) {
                  const opts: SeriesOptions = { ...range, transform, condense, collapse };
                  const got = normalize(await ts.series(stat, interval, opts));
                  const want = normalize(model.series(stat, interval, opts));
                  expect(got, `${interval} ${JSON.stringify(range)} ${String(stat)} transform=${tname} condense=${condense} collapse=${collapse}`).toEqual(want);
                  checked++;
                }
              }
            }
          }
        }
      }
      return checked;
    }

    for (const type of TYPES) {
      it(`${type}: series for every interval × range × transform × condense × collapse × joined names`, async () => {
        const names = ["app.a", "app.b", "app.c"];
        const { ts, model } = pair(type);
        await load(ts, model, scenario(TYPES.indexOf(type) + 1, 400, names), 7);
        const checked = await compareAll(ts, model, names);
        expect(checked).toBeGreaterThan(1000);
      });

      it(`${type}: rolling writes land in the neighbouring intervals`, async () => {
        const names = ["roll.x", "roll.y"];
        const { ts, model } = pair(type);
        await load(ts, model, scenario(100 + TYPES.indexOf(type), 150, names, true), 9);
        for (const interval of Object.keys(INTERVALS)) {
          for (const range of ranges(interval)) {
            for (const condense of [false, true]) {
              const opts = { ...range, condense };
              expect(normalize(await ts.series(names, interval, opts)), `${interval} ${JSON.stringify(opts)}`).toEqual(normalize(model.series(names, interval, opts)));
            }
          }
        }
        // A rolled copy is really there: one point at NOW with rolling -2 fills three minute buckets.
        const { ts: one } = pair(type);
        await one.insert("r", 3, NOW, { intervals: -2 });
        const got = [...(await one.series("r", "minute", { steps: 4, transform: "sum" })).values()];
        expect(got).toEqual([null, 3, 3, 3]);
      });

      it(`${type}: get and iterate agree with series`, async () => {
        const names = ["it.a", "it.b"];
        const { ts, model } = pair(type);
        await load(ts, model, scenario(200 + TYPES.indexOf(type), 120, names), 3);
        for (const interval of Object.keys(INTERVALS)) {
          const iv = model.interval(interval);
          for (const t of [NOW, NOW - 90, NOW - 3700, NOW - 30 * DAY]) {
            for (const condense of [false, true]) {
              const want = model.series(names, interval, { start: t, end: t, condense }).get(iv.bucketOf(t));
              expect(normalize(await ts.get(names, interval, { timestamp: t, condense })), `${interval} @${t}`).toEqual(normalize(want));
            }
          }
          const props = model.properties("it.a")[interval];
          const seen: Array<[number, unknown]> = [];
          for await (const entry of ts.iterate("it.a", interval, { pageSize: 7 })) seen.push(entry);
          if (!props) {
            expect(seen).toEqual([]);
            continue;
          }
          const want = model.series("it.a", interval, { start: props.first, end: props.last });
          expect(normalize(new Map(seen)), `iterate ${interval}`).toEqual(normalize(want));
          expect(seen[0][0]).toBe(props.first);
          expect(seen[seen.length - 1][0]).toBe(props.last);
        }
      });

      it(`${type}: list, properties, delete and delete_all`, async () => {
        const names = ["p.one", "p.two", "p.three"];
        const { ts, model } = pair(type);
        await load(ts, model, scenario(300 + TYPES.indexOf(type), 90, names), 5);
        expect(await ts.list()).toEqual(model.list());
        for (const name of names) expect(await ts.properties(name)).toEqual(model.properties(name));
        expect(await ts.properties("p.never")).toEqual({});
        await ts.delete("p.two");
        model.delete("p.two");
        expect(await ts.list()).toEqual(model.list());
        expect(await ts.properties("p.two")).toEqual({});
        expect(normalize(await ts.series(names, "minute", { transform: "count" }))).toEqual(normalize(model.series(names, "minute", { transform: "count" })));
        await ts.delete_all();
        expect(await ts.list()).toEqual([]);
        // The store still takes writes after delete_all.
        await ts.insert("p.one", 1, NOW);
        expect(await ts.list()).toEqual(["p.one"]);
      });

      it(`${type}: listAfter lists every name, then only the names first stored after its cursor, page by page`, async () => {
        const { ts, model } = pair(type);
        const listAfter = listing(store);
        const first = Array.from({ length: 10 }, (_, i) => `la.first${i}`);
        for (const name of first) {
          await ts.insert(name, 1, NOW);
          model.insert(name, 1, NOW);
        }
        const whole = await listAfter(ts.ns, 0);
        expect([...whole.names].sort()).toEqual(model.list());
        expect((await listAfter(ts.ns, whole.next)).names).toEqual([]);
        const mark = model.mark();
        // Old names written again are not new; new ones are.
        const batch = new WriteBatch();
        for (const name of [...first.slice(0, 3), "la.second0", "la.second1"]) {
          ts.stage(batch, name, 2, NOW);
          model.insert(name, 2, NOW);
        }
        await store.write(batch);
        expect([...(await listAfter(ts.ns, whole.next)).names].sort()).toEqual(model.listedAfter(mark));
        expect(model.listedAfter(mark)).toEqual(["la.second0", "la.second1"]);
        // Pages of at most `limit` names, together every name; then nothing.
        const { names, next, pages } = await drain(ts.ns, 0, 4);
        expect(pages.every((p) => p <= 4)).toBe(true);
        expect(pages.length).toBeGreaterThanOrEqual(3);
        expect([...new Set(names)].sort()).toEqual(model.list());
        expect((await listAfter(ts.ns, next)).names).toEqual([]);
        // Another namespace's names are not listed.
        expect((await listAfter({ prefix: `${ts.ns.prefix}other_`, type }, 0)).names).toEqual([]);
      });

      it(`${type}: expiry by steps, at write time and by expire()`, async () => {
        let now = NOW;
        const { ts, model } = pair(type, {}, () => now);
        const names = ["e.a", "e.b"];
        await load(ts, model, scenario(400 + TYPES.indexOf(type), 200, names), 11);
        // Four hours on: the minute interval (180 steps) has lost its oldest hour; monthly (6 steps) keeps all.
        now = NOW + 4 * 3600;
        await ts.expire("e.a");
        model.expire("e.a");
        expect(await ts.properties("e.a")).toEqual(model.properties("e.a"));
        await ts.expire();
        model.expire();
        for (const name of names) expect(await ts.properties(name)).toEqual(model.properties(name));
        const first = (await ts.properties("e.a")).minute?.first;
        if (first !== undefined) expect(first).toBeGreaterThan(now - 180 * 60);
        // A point already past retention is not stored at all.
        await ts.insert("e.old", 5, now - 400 * 60);
        expect((await ts.properties("e.old")).minute).toBeUndefined();
        expect((await ts.properties("e.old")).daily).toBeDefined();
      });
    }

    it("delete and expire over a stored range from now to 2^46 s are quick and bounded in memory", async () => {
      // Ingest refuses such timestamps now (MAX_FUTURE), but a store may hold them from before. 2^46 s is ~10^10
      // SQLite blocks away, and stays under the 14 digits Lua prints exactly (Redis scripts).
      const FAR = 2 ** 46 - (2 ** 46 % 60);
      let now = NOW;
      const ts = new Timeseries(store, { type: "count", intervals: { minute: { step: 60, steps: 180 } }, prefix: prefix(), clock: () => now });
      const batch = new WriteBatch();
      for (const name of ["far.a", "far.b", "far.c"]) {
        ts.stage(batch, name, 1, NOW);
        ts.stage(batch, name, 2, FAR);
      }
      await store.write(batch);
      expect((await ts.properties("far.a")).minute).toEqual({ first: NOW - (NOW % 60), last: FAR });
      expect(await ts.get("far.a", "minute", { timestamp: FAR })).toBe(2);
      const heap = process.memoryUsage().heapUsed;
      const started = performance.now();
      now = NOW + 4 * 3600; // the NOW buckets are past retention, the far ones are not
      await ts.expire("far.a");
      expect((await ts.properties("far.a")).minute).toEqual({ first: FAR, last: FAR });
      await ts.expire();
      expect((await ts.properties("far.b")).minute).toEqual({ first: FAR, last: FAR });
      expect(await ts.get("far.b", "minute", { timestamp: FAR })).toBe(2);
      await ts.delete("far.a");
      await ts.delete("far.c");
      expect(await ts.properties("far.a")).toEqual({});
      expect(await ts.properties("far.c")).toEqual({});
      expect(await ts.get("far.b", "minute", { timestamp: FAR })).toBe(2);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(process.memoryUsage().heapUsed - heap).toBeLessThan(100 * 1024 * 1024);
    });

    for (const type of TYPES) {
      it(`${type}: namespaces in one store never see each other's names or data`, async () => {
        let now = NOW;
        const base = prefix();
        // Alike once reduced to identifier characters, alike but for case, or too long for any table name.
        const long = "l".repeat(80);
        const prefixes = [`${base}ns.a-b_`, `${base}ns_a_b_`, `${base}NS.A-B_`, `${base}${long}1_`, `${base}${long}2_`];
        const spaces = prefixes.map((p) => {
          const options: TimeseriesOptions = { type, intervals: INTERVALS, prefix: p, clock: () => now };
          return { ts: new Timeseries(store, options), model: new ReferenceModel(options) };
        });
        const names = (i: number) => ["n.shared", `n.only${i}`];
        for (const [i, { ts, model }] of spaces.entries()) await load(ts, model, scenario(600 + 10 * TYPES.indexOf(type) + i, 60, names(i)), i);
        const all = ["n.shared", ...prefixes.map((_, i) => `n.only${i}`)];
        const windows: Array<[string, SeriesOptions]> = [
          ["minute", { start: NOW - 6 * 3600, end: NOW + 60 }],
          ["daily", { start: NOW - 80 * DAY, end: NOW + DAY }],
        ];
        async function same(i: number, what: string): Promise<void> {
          const { ts, model } = spaces[i];
          expect(await ts.list(), `${what}: list of ${prefixes[i]}`).toEqual(model.list());
          for (const name of all) expect(await ts.properties(name), `${what}: properties(${name}) in ${prefixes[i]}`).toEqual(model.properties(name));
          for (const [interval, range] of windows) {
            const opts: SeriesOptions = { ...range, condense: true, transform: "count" };
            expect(normalize(await ts.series(all, interval, opts)), `${what}: ${interval} in ${prefixes[i]}`).toEqual(normalize(model.series(all, interval, opts)));
          }
        }
        for (let i = 0; i < spaces.length; i++) {
          expect(spaces[i].model.list()).toEqual(names(i).sort());
          await same(i, "after writes");
        }
        await spaces[0].ts.delete("n.shared");
        spaces[0].model.delete("n.shared");
        now = NOW + 4 * 3600;
        await spaces[1].ts.expire();
        spaces[1].model.expire();
        await spaces[3].ts.expire("n.shared");
        spaces[3].model.expire("n.shared");
        await spaces[2].ts.delete_all();
        for (const name of names(2)) spaces[2].model.delete(name);
        expect(await spaces[2].ts.list()).toEqual([]);
        for (let i = 0; i < spaces.length; i++) await same(i, "after delete, expire and delete_all elsewhere");
      });
    }

    it("listAfter misses no name written by two writers at once", async () => {
      const { ts, model } = pair("count");
      const listAfter = listing(store);
      let cursor = (await listAfter(ts.ns, 0)).next;
      const seen = new Set<string>();
      let writing = true;
      const writer = async (w: number) => {
        for (let i = 0; i < 20; i++) {
          const batch = new WriteBatch();
          for (let j = 0; j < 25; j++) {
            const name = `cw.w${w}.b${i}.n${j}`;
            ts.stage(batch, name, 1, NOW);
            model.insert(name, 1, NOW);
          }
          await store.write(batch);
        }
      };
      // A reader follows while both write, as the name index does.
      const reader = (async () => {
        while (writing) {
          const page = await listAfter(ts.ns, cursor);
          for (const name of page.names) seen.add(name);
          cursor = page.next;
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      await Promise.all([writer(1), writer(2)]);
      writing = false;
      await reader;
      for (const name of (await drain(ts.ns, cursor)).names) seen.add(name);
      expect(model.list()).toHaveLength(1000);
      expect([...seen].sort()).toEqual(model.list());
    });

    const relists = target.relistsRewritten !== false;
    it(relists ? "listAfter lists a name deleted and written again as first stored again" : "listAfter keeps a name deleted and written again in its first place", async () => {
      const { ts, model } = pair("count");
      const listAfter = listing(store);
      for (const name of ["dr.a", "dr.b"]) {
        await ts.insert(name, 1, NOW);
        model.insert(name, 1, NOW);
      }
      await ts.delete("dr.a");
      model.delete("dr.a");
      const gone = await drain(ts.ns, 0);
      expect([...new Set(gone.names)].sort()).toEqual(["dr.b"]);
      const mark = model.mark();
      await ts.insert("dr.a", 2, NOW);
      model.insert("dr.a", 2, NOW);
      const after = [...(await listAfter(ts.ns, gone.next)).names].sort();
      expect(model.listedAfter(mark)).toEqual(["dr.a"]);
      expect(after).toEqual(relists ? model.listedAfter(mark) : []);
    });

    it("a full listing finds a name deleted and written again", async () => {
      const { ts, model } = pair("count");
      for (const name of ["fr.a", "fr.b"]) {
        await ts.insert(name, 1, NOW);
        model.insert(name, 1, NOW);
      }
      await ts.delete("fr.a");
      model.delete("fr.a");
      await ts.insert("fr.a", 3, NOW);
      model.insert("fr.a", 3, NOW);
      expect([...new Set((await drain(ts.ns, 0)).names)].sort()).toEqual(model.list());
      expect(await ts.list()).toEqual(model.list());
    });

    it("tag index: tags, values and lookups equal the reference model through writes, delete, expire and delete_all", async () => {
      if (!store.tagKeys || !store.tagValues || !store.tagCounts || !store.findTagged) throw new Error("the store keeps no tag index (tagKeys, tagValues, tagCounts, findTagged)");
      const idx = store as Required<Pick<Store, "tagKeys" | "tagValues" | "tagCounts" | "findTagged">>;
      let now = NOW;
      const p = prefix();
      const minute = { minute: { step: 60, steps: 180 } };
      // Two types under one prefix: each namespace answers only its own names.
      const spaces = (["gauge", "count"] as const).map((type) => {
        const options: TimeseriesOptions = { type, intervals: minute, prefix: p, clock: () => now };
        return { ts: new Timeseries(store, options), model: new ReferenceModel(options) };
      });
      const rnd = prng(77);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
      const names: string[] = [];
      for (let i = 0; i < 40; i++) {
        const env = rnd() < 0.5 ? `;env=${pick(["prod", "dev"])}` : "";
        names.push(`${pick(["disk.used", "disk.free", "cpu"])};datacenter=${pick(["dc1", "dc2", "dc3"])}${env};host=web${i % 13}`);
      }
      // Odd but storable: a long value, `=` in a value, characters beyond U+FFFF and past Latin-1, untagged names.
      names.push(`disk.used;datacenter=dc1;note=${"v".repeat(1000)}`, "disk.used;k=v=w", "disk.used;emoji=\u{1F600}", "disk.used;emoji=\uFFFD", "disk.used;emoji=é", "plain.name", "disk.used");
      const old = new Set(names.filter((_, i) => i % 7 === 3));
      async function writeAll(list: readonly string[], at: (n: string) => number, which: number[]): Promise<void> {
        const batch = new WriteBatch();
        for (const w of which) {
          const { ts, model } = spaces[w];
          for (const n of list) {
            if (w === 1 && n.length % 3 === 0) continue; // count holds a subset
            ts.stage(batch, n, 1, at(n));
            model.insert(n, 1, at(n));
          }
        }
        await store.write(batch);
      }
      await writeAll(names, (n) => (old.has(n) ? NOW - 170 * 60 : NOW), [0, 1]);
      const tagPrefixes = ["", "d", "e", "h", "name", "zz", "\u{1F600}"];
      async function same(what: string): Promise<void> {
        for (const { ts, model } of spaces) {
          const at = `${what} (${ts.ns.type})`;
          for (const pre of tagPrefixes) {
            expect(await idx.tagKeys(ts.ns, pre), `${at}: tagKeys ${pre}`).toEqual(model.tagKeys(pre));
            expect(await idx.tagKeys(ts.ns, pre, 2), `${at}: tagKeys ${pre} limit 2`).toEqual(model.tagKeys(pre, 2));
          }
          for (const tag of [...model.tagKeys(), "missing"]) {
            expect(await idx.tagValues(ts.ns, tag), `${at}: tagValues ${tag}`).toEqual(model.tagValues(tag));
            expect(await idx.tagCounts(ts.ns, tag), `${at}: tagCounts ${tag}`).toEqual(model.tagCounts(tag));
            const first = model.tagValues(tag)[0] ?? "x";
            for (const pre of [first.slice(0, 1), first, `${first}~`, "\u{1F600}"]) {
              expect(await idx.tagValues(ts.ns, tag, pre, 3), `${at}: tagValues ${tag} ${pre} limit 3`).toEqual(model.tagValues(tag, pre, 3));
              expect(await idx.tagCounts(ts.ns, tag, pre, 3), `${at}: tagCounts ${tag} ${pre} limit 3`).toEqual(model.tagCounts(tag, pre, 3));
            }
          }
          const lookups: Array<Array<{ tag: string; values: string[] }>> = [
            [{ tag: "name", values: ["disk.used"] }, { tag: "datacenter", values: ["dc1"] }],
            [{ tag: "datacenter", values: ["dc1", "dc2"] }, { tag: "env", values: ["prod"] }],
            [{ tag: "host", values: ["web1", "web2", "web3"] }],
            [{ tag: "name", values: ["disk.used", "cpu"] }],
            [{ tag: "note", values: ["v".repeat(1000)] }],
            [{ tag: "k", values: ["v=w"] }],
            [{ tag: "emoji", values: ["\u{1F600}", "é"] }],
            [{ tag: "host", values: [] }],
            [{ tag: "missing", values: ["x"] }],
            [{ tag: "name", values: ["plain.name"] }],
          ];
          for (const conditions of lookups) {
            expect(await idx.findTagged(ts.ns, conditions), `${at}: findTagged ${JSON.stringify(conditions).slice(0, 120)}`).toEqual(model.findTagged(conditions));
          }
          if (what === "after writes") expect(lookups.reduce((n, c) => n + model.findTagged(c).length, 0), "the scenario finds something").toBeGreaterThan(5);
        }
      }
      await same("after writes");
      const gone = names[0];
      await spaces[0].ts.delete(gone);
      spaces[0].model.delete(gone);
      await same("after delete");
      now = NOW + 30 * 60; // the old points are past the 180 minutes kept
      for (const { ts, model } of spaces) {
        await ts.expire();
        model.expire();
      }
      expect(spaces[0].model.list().length).toBeLessThan(names.length - 1);
      await same("after expire");
      // Written again after a delete or an expiry, a name is found again, even by a store that remembers the name.
      await writeAll([gone, ...old], () => now, [0]);
      await same("after writing deleted names again");
      await spaces[1].ts.delete_all();
      for (const n of spaces[1].model.list()) spaces[1].model.delete(n);
      expect(await idx.tagKeys(spaces[1].ts.ns)).toEqual([]);
      await same("after delete_all of one type");
      await writeAll([names[1]], () => now, [1]);
      await same("after a write following delete_all");
    });

    it("joined names on resolution intervals join sub-bucket by sub-bucket", async () => {
      const { ts, model } = pair("histogram");
      for (const [name, v, t] of [["j.a", 1, NOW - 10], ["j.b", 1, NOW - 20], ["j.b", 2, NOW - 700], ["j.a", 3, NOW - 1300]] as const) {
        await ts.insert(name, v, t);
        model.insert(name, v, t);
      }
      const got = await ts.series(["j.a", "j.b"], "hour", { steps: 2 });
      expect(normalize(got)).toEqual(normalize(model.series(["j.a", "j.b"], "hour", { steps: 2 })));
      const hour = Math.floor(NOW / 3600) * 3600;
      const subs = got.get(hour) as Map<number, Map<number, number>>;
      expect(subs.get(Math.floor((NOW - 10) / 600) * 600)).toEqual(new Map([[1, 2]]));
    });

    it("gauge keeps the newest value by timestamp; a later write of the same timestamp wins", async () => {
      const { ts } = pair("gauge");
      await ts.insert("gg", 1, NOW - 5);
      await ts.insert("gg", 2, NOW - 5); // same timestamp, later write
      expect(await ts.get("gg", "minute", { timestamp: NOW })).toBe(2);
      await ts.insert("gg", 3, NOW - 20); // older point arriving late
      expect(await ts.get("gg", "minute", { timestamp: NOW })).toBe(2);
      await ts.bulk_insert({ [NOW - 1]: { gg: [7, 8] } }); // within one batch too
      expect(await ts.get("gg", "minute", { timestamp: NOW })).toBe(8);
    });

    it("Gregorian buckets follow the UTC calendar", async () => {
      const { ts } = pair("count");
      const feb28 = Date.UTC(2026, 1, 28, 23, 59, 59) / 1000;
      const mar1 = Date.UTC(2026, 2, 1, 0, 0, 0) / 1000;
      await ts.bulk_insert({ [feb28]: { g: [1, 2] }, [mar1]: { g: [4] }, [Date.UTC(2026, 0, 31, 12) / 1000]: { g: [8] } });
      const monthly = await ts.series("g", "monthly", { steps: 3, condense: true });
      expect([...monthly.keys()]).toEqual([Date.UTC(2026, 0, 1) / 1000, Date.UTC(2026, 1, 1) / 1000, Date.UTC(2026, 2, 1) / 1000]);
      expect([...monthly.values()]).toEqual([8, 3, 4]);
      const weekly = await ts.series("g", "weekly", { start: feb28, end: mar1 });
      // Feb 28 2026 is a Saturday and Mar 1 a Sunday: one ISO week starting Monday Feb 23.
      expect([...weekly.keys()]).toEqual([Date.UTC(2026, 1, 23) / 1000]);
      expect([...weekly.values()]).toEqual([7]);
      const rate = await ts.series("g", "monthly", { start: feb28, end: feb28, transform: "rate", condense: true });
      expect([...rate.values()]).toEqual([3 / (28 * DAY)]);
      const daily = await ts.series("g", "daily", { start: feb28, end: mar1, condense: true });
      expect([...daily.values()]).toEqual([3, 4]);
    });

    it("custom reads: fetch, process_row, condense, join_rows and collapse as functions", async () => {
      const { ts, model } = pair("series");
      const names = ["cr.a", "cr.b"];
      await load(ts, model, scenario(500, 150, names), 13);
      const range = { start: NOW - 5 * 3600, end: NOW };
      const plain = model.series(names[0], "hour", range);
      const perName = names.map((n) => model.series(n, "hour", { ...range, condense: true }));

      // process_row doubles every value of each sub-bucket; the default condense then concatenates them.
      const processed = await ts.series(names[0], "hour", { ...range, condense: true, process_row: (d: number[]) => d.map((x) => x * 2) });
      const doubled = new Map([...perName[0]].map(([b, d]) => [b, d === null ? null : (d as number[]).map((x) => x * 2)]));
      expect(normalize(processed)).toEqual(normalize(doubled));
      const condensed = await ts.series(names[0], "hour", { ...range, condense: (subs: Map<number, unknown>) => subs.size });
      expect([...condensed.values()]).toEqual([...plain.values()].map((s) => (s === null ? null : (s as Map<number, unknown>).size)));
      const joined = await ts.series(names, "hour", { ...range, condense: true, join_rows: (rows: unknown[]) => rows.length });
      expect([...joined.values()]).toEqual([...joined.keys()].map((b) => {
        const k = perName.filter((m) => m.get(b) !== null).length;
        return k === 0 ? null : k;
      }));
      const collapsed = await ts.series(names[0], "hour", { ...range, collapse: (buckets: Map<number, unknown>) => buckets.size });
      expect([...collapsed.values()]).toEqual([[...perName[0].values()].filter((d) => d !== null).length || null]);
      const fetched = await ts.series(names, "minute", {
        steps: 3,
        fetch: (handle, key) => (handle === store.handle ? `${key.name}@${key.bucket}@${key.interval}` : "wrong handle"),
        process_row: (d: string) => [d],
        transform: "count",
      });
      expect([...fetched.values()]).toEqual([2, 2, 2]);
    });

    it("bad input is a typed error naming the field, and leaves the store untouched", async () => {
      const { ts } = pair("count");
      await ts.insert("bad.a", 1, NOW);
      await expect(ts.insert("bad.a", "not a number", NOW)).rejects.toMatchObject({ code: ErrorCodes.BAD_VALUE, field: "value" });
      await expect(ts.bulk_insert({ [NOW]: { "bad.a": [1, 2, "x"], "bad.b": [5] } })).rejects.toBeInstanceOf(TorusError);
      expect([...(await ts.series("bad.a", "minute", { steps: 1 })).values()]).toEqual([1]);
      expect(await ts.list()).toEqual(["bad.a"]);
      await expect(ts.series("bad.a", "fortnight")).rejects.toMatchObject({ code: ErrorCodes.UNKNOWN_INTERVAL, value: "fortnight" });
      await expect(ts.series("bad.a", "minute", { transform: "median" })).rejects.toMatchObject({ code: ErrorCodes.UNKNOWN_TRANSFORM, value: "median" });
      await expect(ts.series("bad.a", "minute", { steps: -1 })).rejects.toMatchObject({ code: ErrorCodes.BAD_STEPS });
      const { ts: strict } = pair("histogram", { write_func: (v) => { if (Number(v) < 0) throw new Error("negative"); return Number(v).toFixed(1); } });
      await expect(strict.insert("w", -3, NOW)).rejects.toMatchObject({ code: ErrorCodes.BAD_VALUE, value: -3 });
      await strict.insert("w", 2, NOW);
      expect(await strict.get("w", "minute", { timestamp: NOW })).toEqual(new Map([[2, 1]]));
    });

    it("a batch that fails in the store leaves it exactly as it was", async () => {
      const { ts } = pair("count");
      await ts.insert("atomic.a", 5, NOW);
      const batch = new WriteBatch();
      ts.stage(batch, "atomic.a", 7, NOW);
      ts.stage(batch, "atomic.new", 1, NOW);
      // A part no store can write, after good ones: the store must roll everything back.
      const bogus: Namespace = { prefix: ts.ns.prefix, type: "nonsense" as TypeName };
      const bad = batch.part({}, bogus, ts.intervals);
      bad.add(bad.slot("atomic.x"), 0, NOW, 1, 0);
      await expect(store.write(batch)).rejects.toBeInstanceOf(Error);
      expect([...(await ts.series("atomic.a", "minute", { steps: 1 })).values()]).toEqual([5]);
      expect(await ts.list()).toEqual(["atomic.a"]);
      // The same ids can be used again once the bad part is gone.
      batch.parts.delete([...batch.parts.keys()][1]);
      await store.write(batch);
      expect([...(await ts.series(["atomic.a", "atomic.new"], "minute", { steps: 1 })).values()]).toEqual([13]);
    });

    it(FLUSH_ID_TEST, async () => {
      for (const type of TYPES) {
        const { ts, model } = pair(type);
        const other = pair(type);
        const writes = scenario(700 + TYPES.indexOf(type), 80, ["once.a", "once.b", "once.c"]);
        const id = `conformance-${ts.ns.prefix}:1`;
        const batch = new WriteBatch();
        batch.flushId = id;
        for (const w of writes) {
          ts.stage(batch, w.name, w.value, w.ts);
          model.insert(w.name, w.value, w.ts);
        }
        await store.write(batch);
        // The retry of a flush whose outcome was lost: the same id applies nothing, and does not fail.
        await store.write(batch);
        // So does a copy of it built again (a replay): the id decides, not the object.
        const copy = new WriteBatch();
        copy.flushId = id;
        for (const w of writes) ts.stage(copy, w.name, w.value, w.ts);
        await store.write(copy);
        // Another namespace in the same batch does not change which record the id is checked against.
        const mixed = new WriteBatch();
        mixed.flushId = `conformance-${ts.ns.prefix}:2`;
        ts.stage(mixed, "once.d", 3, NOW);
        model.insert("once.d", 3, NOW);
        other.ts.stage(mixed, "once.d", 4, NOW);
        other.model.insert("once.d", 4, NOW);
        await store.write(mixed);
        await store.write(mixed);
        // A batch without an id is not tracked: written twice, it is applied twice.
        const plain = new WriteBatch();
        ts.stage(plain, "once.e", 2, NOW);
        await store.write(plain);
        await store.write(plain);
        model.insert("once.e", 2, NOW);
        model.insert("once.e", 2, NOW);
        for (const [t, m, names] of [[ts, model, ["once.a", "once.b", "once.c", "once.d", "once.e"]], [other.ts, other.model, ["once.d"]]] as const) {
          expect(await t.list(), type).toEqual(m.list());
          for (const name of names) expect(await t.properties(name), `${type} ${name}`).toEqual(m.properties(name));
          for (const interval of Object.keys(INTERVALS)) {
            const range = { start: NOW - (interval === "minute" ? 3 * 3600 : 70 * DAY), end: NOW + 60 };
            for (const stat of [...names]) {
              expect(normalize(await t.series(stat, interval, range)), `${type} ${interval} ${stat}`).toEqual(normalize(m.series(stat, interval, range)));
            }
          }
        }
      }
    });

    it("property: random batches of writes read back identical to the reference model", async () => {
      const write = fc.record({
        name: fc.constantFrom("q.a", "q.b", "q.c"),
        value: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.constantFrom(0.25, 1.5, 1e6)),
        ts: fc.integer({ min: NOW - 40 * DAY, max: NOW + 30 }),
        rolling: fc.integer({ min: -2, max: 2 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...TYPES), fc.array(fc.array(write, { maxLength: 30 }), { maxLength: 6 }), async (type, batches) => {
          const { ts, model } = pair(type);
          for (const writes of batches) {
            const batch = new WriteBatch();
            for (const w of writes) {
              ts.stage(batch, w.name, w.value, w.ts, w.rolling);
              model.insert(w.name, w.value, w.ts, w.rolling);
            }
            await store.write(batch);
          }
          for (const interval of Object.keys(INTERVALS)) {
            for (const stat of ["q.a", ["q.a", "q.b", "q.c"]]) {
              const range = { start: NOW - 45 * DAY, end: NOW + 60 };
              for (const opts of [{ ...range }, { ...range, condense: true }, { ...range, collapse: true, transform: "mean" }]) {
                if (interval === "minute" && !("collapse" in opts)) continue; // 60k empty buckets: covered above
                expect(normalize(await ts.series(stat, interval, opts))).toEqual(normalize(model.series(stat, interval, opts)));
              }
            }
          }
          expect(await ts.list()).toEqual(model.list());
        }),
        { numRuns: 40, seed: 42 },
      );
    });

    eventCases(it, () => store, prefix);

    if (target.changeToken === false) {
      it("has no changeToken, so a response cache never keeps its answers", () => {
        expect(store.changeToken, "this store now has a changeToken: drop `changeToken: false` so the suite checks how it moves").toBeUndefined();
      });
    } else it(CHANGE_TOKEN_TEST, async () => {
      expect(store.changeToken, "the store has no changeToken: pass `changeToken: false`").toBeTypeOf("function");
      const token = () => store.changeToken!();
      const { ts } = pair("count", { intervals: { minute: INTERVALS.minute } });
      const seen = new Set([token()]);
      const moved = (what: string) => {
        const t = token();
        expect(seen.has(t), `changeToken after ${what}`).toBe(false);
        seen.add(t);
        return t;
      };
      await ts.insert("token.a", 1, NOW - 120);
      await ts.insert("token.b", 1, NOW);
      let now = moved("a write");
      await ts.series("token.a", "minute", { steps: 5 });
      await ts.list();
      await ts.properties("token.a");
      expect(token(), "changeToken after reads only").toBe(now);
      await ts.delete("token.a");
      now = moved("delete");
      await ts.insert("token.a", 1, NOW - 120);
      moved("a second write");
      await store.expire(ts.ns, "minute", NOW - 60);
      moved("expire");
      await ts.delete_all();
      now = moved("delete_all");
      expect(token(), "changeToken with nothing committed").toBe(now);
    });

    // Checked at collection: a skip naming no test is stale (renamed or removed test).
    const stale = [...skips.keys()].filter((name) => !named.has(name));
    if (stale.length) throw new Error(`conformance: ${target.label}: skip names no test: ${stale.map((n) => JSON.stringify(n)).join(", ")}`);
  });
}
