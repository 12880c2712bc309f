import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileConfig } from "../config/index.js";
import { buildRuntime } from "../runtime/runtime.js";
import { StoreError, StoreRegistry, registerBackend, type Store } from "../timeseries/index.js";
import { buildQueryApp } from "./query-app.js";
import { MINUTE, NOW, fixture, fixtureExports, type Fixture } from "./query-fixture.case.js";

// Two schemas matching foo.*, declared in this order: `first` (minute, hour) and `second` (second, minute).
const FOO = {
  first: { type: "count", match: "^foo\\.", prefix: "fa", intervals: { minute: { step: 60, steps: 120 }, hour: { step: "1h", steps: 48 } } },
  second: { type: "count", match: "^foo\\.", prefix: "fb", intervals: { second: { step: 1, steps: 600 }, minute: { step: 60, steps: 120 } } },
};
const exportsWithFoo = (extra: Record<string, unknown> = {}) => {
  const base = fixtureExports();
  return {
    SCHEMAS: { ...(base.SCHEMAS as Record<string, unknown>), ...FOO },
    MACROS: { ...(base.MACROS as Record<string, unknown>), secs: { interval: "second", transform: "sum" }, bad_start: { start: "next blursday" } },
    ...extra,
  };
};

// foo.x goes through /insert (both schemas store it); foo.only is written into `second` alone.
const X: Array<[number, number]> = [[2, NOW - 3], [5, NOW - 1], [7, NOW - 70]];
const ONLY: [number, number] = [11, NOW - 2];
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const bucketsOf = (step: number, steps: number) => Array.from({ length: steps }, (_, i) => NOW - (NOW % step) - (steps - 1 - i) * step);
const sumsAt = (points: Array<[number, number]>, step: number, steps: number) =>
  bucketsOf(step, steps).map((b) => {
    const vs = points.filter(([, t]) => t - (t % step) === b).map(([v]) => v);
    return [vs.length ? sum(vs) : null, b];
  });

let f: Fixture;
beforeAll(async () => {
  f = await fixture(exportsWithFoo());
  await f.send(X.map(([v, t]) => ["foo.x", v, t]));
  await f.karbon.current.runtime.schema("second")!.series.insert("foo.only", ONLY[0], ONLY[1]);
});
afterAll(() => f.close());

describe("which schema answers (SPEC §5)", () => {
  it.each([
    ["no interval: the first matching schema at its first interval", "", "first", "minute", 60],
    ["interval=second: the first matching schema that has it", "&interval=second", "second", "second", 1],
    ["interval=minute: both have it, the first declared answers", "&interval=minute", "first", "minute", 60],
    ["interval=hour: only the first has it", "&interval=hour", "first", "hour", 3600],
    ["schema=second: its first interval", "&schema=second", "second", "second", 1],
    ["schema=second&interval=minute", "&schema=second&interval=minute", "second", "minute", 60],
  ])("%s", async (_label, query, schema, interval, step) => {
    const { status, body } = await f.get(`/series?stat=sum(foo.x)&steps=3${query}`);
    expect(status).toBe(200);
    expect(body[0]).toMatchObject({ schema, interval, datapoints: sumsAt(X, step, 3) });
  });

  it("a macro's interval follows the same rule", async () => {
    const { status, body } = await f.get("/series?stat=secs(foo.x)&steps=4");
    expect(status).toBe(200);
    expect(body[0]).toMatchObject({ schema: "second", interval: "second", datapoints: sumsAt(X, 1, 4) });
  });

  it("a stat no schema matches, with an interval some schema has, is an empty entry", async () => {
    const { status, body } = await f.get("/series?stat=nothing.here&interval=second");
    expect(status).toBe(200);
    expect(body[0]).toMatchObject({ schema: null, interval: null, datapoints: [] });
  });

  it.each([
    ["no matching schema has the interval: every one looked at is named with its intervals", "/series?stat=foo.x&interval=day", /^interval: unknown interval "day" for "foo\.x": no schema matching it has one \(looked at first: minute, hour; second: second, minute\)$/],
    ["the forced schema lacks the interval", "/series?stat=foo.x&schema=second&interval=hour", /^interval: unknown interval "hour": schema "second" has second, minute$/],
    ["no configured schema has the interval, even for an unmatched stat", "/series?stat=nothing.here&interval=fortnight", /^interval: unknown interval "fortnight": no configured schema has one \(counts: minute, hour; .*second: second, minute\)$/],
    ["/properties: no matching schema has the interval", "/properties?stat=foo.x&interval=day", /looked at first: minute, hour; second: second, minute/],
  ])("%s → 400", async (_label, url, message) => {
    const { status, body } = await f.get(url);
    expect(status).toBe(400);
    expect(body.code).toBe("TORUS_ERR_UNKNOWN_INTERVAL");
    expect(body.error).toMatch(message);
  });

  it("/properties with an interval: only that interval, of the matching schemas that have it", async () => {
    const bucket = (step: number) => (t: number) => t - (t % step);
    const ts = X.map(([, t]) => t);
    const range = (step: number) => ({ first: bucket(step)(Math.min(...ts)), last: bucket(step)(Math.max(...ts)) });
    expect((await f.get("/properties?stat=foo.x&interval=second")).body).toEqual({ "foo.x": { second: { second: range(1) } } });
    expect((await f.get("/properties?stat=foo.x&interval=minute")).body).toEqual({ "foo.x": { first: { minute: range(60) }, second: { minute: range(60) } } });
    expect((await f.get("/properties?stat=foo.x")).body["foo.x"].first).toEqual({ minute: range(60), hour: range(3600) });
  });

  it("the response cache keys on the schema that answered", async () => {
    // Same stat, range and interval; only the schema differs — and only `second` holds foo.only.
    const atFirst = [[null, MINUTE(NOW) - 60], [null, MINUTE(NOW)]];
    const atSecond = [[null, MINUTE(NOW) - 60], [ONLY[0], MINUTE(NOW)]];
    for (let round = 0; round < 2; round++) {
      expect((await f.get("/series?stat=sum(foo.only)&interval=minute&steps=2&schema=first")).body[0]).toMatchObject({ schema: "first", datapoints: atFirst });
      expect((await f.get("/series?stat=sum(foo.only)&interval=minute&steps=2&schema=second")).body[0]).toMatchObject({ schema: "second", datapoints: atSecond });
      // And on the interval, which picks the schema when none is named.
      expect((await f.get("/series?stat=sum(foo.only)&interval=second&steps=3")).body[0]).toMatchObject({ schema: "second", datapoints: sumsAt([ONLY], 1, 3) });
      expect((await f.get("/series?stat=sum(foo.only)&interval=minute&steps=2")).body[0]).toMatchObject({ schema: "first", datapoints: atFirst });
    }
    const metrics = (await f.get("/metrics")).text;
    expect(Number(/torus_series_cache_hits_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(4);
  });
});

describe("strict parameters: a closed set answers 400 naming the parameter, quoting the value, listing what is accepted", () => {
  const BOOL = /expected true\/false\/1\/0\/yes\/no, got /;
  it.each([
    ["condense=maybe (graphite, where condense is always on)", "/series?stat=c.a&condense=maybe", /^condense: expected true\/false\/1\/0\/yes\/no, got "maybe"$/],
    ["condense=maybe (json)", "/series?stat=c.a&format=json&condense=maybe", /^condense: /],
    ["collapse=2", "/series?stat=c.a&collapse=2", /^collapse: expected true\/false/],
    ["collapse=on (not one of the six)", "/series?stat=c.a&collapse=on", BOOL],
    ["condense=off", "/series?stat=c.a&condense=off", BOOL],
    ["a bad boolean on a stat no schema matches", "/series?stat=nothing.here&collapse=perhaps", /^collapse: .*"perhaps"/],
    ["format=xml", "/series?stat=c.a&format=xml", /^format: expected graphite or json, got "xml"$/],
    ["format=JSON (values are case-sensitive)", "/series?stat=c.a&format=JSON", /^format: expected graphite or json, got "JSON"$/],
    ["steps=1.5", "/series?stat=c.a&steps=1.5", /^steps: expected a positive whole number, got "1.5"$/],
    ["steps=abc", "/series?stat=c.a&steps=abc", /^steps: expected a positive whole number, got "abc"$/],
    ["steps=0", "/series?stat=c.a&steps=0", /^steps: expected a positive whole number, got "0"$/],
    ["interval=fortnight", "/series?stat=c.a&interval=fortnight", /^interval: unknown interval "fortnight" for "c\.a": no schema matching it has one \(looked at counts: minute, hour; counts_daily: day\)$/],
    ["a macro's start", "/series?stat=bad_start(c.a)", /^macro "bad_start": start: cannot parse time "next blursday"/],
  ])("%s", async (_label, url, message) => {
    const { status, body } = await f.get(url);
    expect(status).toBe(400);
    expect(Object.keys(body)).toContain("error");
    expect(body.error).toMatch(message);
  });

  it.each([
    ["format", "/series?stat=c.a&format=json&format=graphite", /^format: given twice \("json", "graphite"\); give it once$/],
    ["condense", "/series?stat=c.a&condense=1&condense=1", /^condense: given twice/],
    ["collapse", "/series?stat=c.a&collapse=1&collapse=0", /^collapse: given twice/],
    ["schema", "/series?stat=c.a&schema=counts&schema=counts_daily", /^schema: given twice/],
    ["interval", "/series?stat=c.a&interval=minute&interval=hour", /^interval: given twice/],
    ["start", "/series?stat=c.a&start=-1h&start=-2h&start=-3h", /^start: given 3 times \("-1h", "-2h", "-3h"\)/],
    ["end", "/series?stat=c.a&end=now&end=now", /^end: given twice/],
    ["steps", "/series?stat=c.a&steps=1&steps=2", /^steps: given twice/],
    ["/properties stat", "/properties?stat=c.a&stat=c.b", /^stat: given twice/],
    ["/properties interval", "/properties?stat=c.a&interval=minute&interval=hour", /^interval: given twice/],
    ["/list schema", "/list?schema=counts&schema=timers", /^schema: given twice/],
    ["/insert value", "/insert?stat=c.rep&value=1&value=2", /^value: given twice/],
  ])("a single-valued parameter given twice is a 400: %s", async (_label, url, message) => {
    const { status, body } = await (url.startsWith("/insert") ? f.post(url) : f.get(url));
    expect(status).toBe(400);
    expect(body.code).toBe("TORUS_ERR_QUERY_BAD_PARAMETER");
    expect(body.error).toMatch(message);
  });

  it("DELETE with stat given twice is a 400 and deletes nothing", async () => {
    await f.send([["c.keep", 1, NOW]]);
    const res = await f.app.inject({ method: "DELETE", url: "/series?stat=c.keep&stat=c.a" });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/^stat: given twice/);
    expect((await f.get("/list?schema=counts")).body).toContain("c.keep");
  });

  it.each([
    ["the six boolean words, any case", ["true", "false", "1", "0", "yes", "no", "TRUE", "No"].map((b) => `/series?stat=c.a&format=json&condense=${b}&collapse=${b}`)],
    ["an empty value is not given", ["/series?stat=c.a&condense=&collapse=&format=&interval=&steps=&schema=&start=&end="]],
    ["unknown parameters are ignored (Graphite clients send cache busters and the like)", ["/series?stat=c.a&_=1700000000123&target=x&jsonp=cb", "/list?_=1", "/properties?stat=c.a&noise=1"]],
  ])("accepted: %s", async (_label, urls) => {
    for (const url of urls) expect((await f.get(url)).status, url).toBe(200);
  });
});

describe("time phrases are capped before parsing", () => {
  it.each([
    ["start", "/series?stat=c.a&start="],
    ["end", "/series?stat=c.a&end="],
    ["/insert timestamp", "/insert?stat=c.t&value=1&timestamp="],
  ])("%s of 14 KB → 400 naming the parameter", async (name, url) => {
    const field = name.replace("/insert ", "");
    const long = encodeURIComponent("5 days ago and ".repeat(1000));
    const started = performance.now();
    const { status, body } = await (url.startsWith("/insert") ? f.post(url + long) : f.get(url + long));
    expect(status).toBe(400);
    expect(body.error).toMatch(new RegExp(`^${field}: a time of 15000 characters is longer than the 200 accepted`));
    // The phrase parser never saw it: well under the ~0.5 s it would cost.
    expect(performance.now() - started).toBeLessThan(400);
  });

  it("200 characters still reach the parser", async () => {
    const phrase = "x".repeat(200);
    expect((await f.get(`/series?stat=c.a&start=${phrase}`)).body.error).toMatch(/^start: cannot parse time/);
    expect((await f.get(`/series?stat=c.a&start=${phrase}x`)).body.error).toMatch(/^start: a time of 201 characters/);
  });
});

describe("per-request bounds: MAX_BUCKETS over stat names × buckets, MAX_STATS, MAX_RESPONSE_MB", () => {
  let g: Fixture;
  beforeAll(async () => (g = await fixture({ MAX_BUCKETS: 1000, MAX_STATS: 5 })));
  afterAll(() => g.close());

  it.each([
    ["two stats of 500 buckets", "/series?stat=c.a&stat=c.b&steps=500", 200, null],
    ["two stats of 501 buckets", "/series?stat=c.a&stat=c.b&steps=501", 400, /^this request reads 1002 or more buckets .* maximum of 1000 per request \(MAX_BUCKETS\)/],
    ["a join of two names counts both", "/series?stat=sum(c.a,c.b)&steps=501", 400, /MAX_BUCKETS/],
    ["one stat of 1000", "/series?stat=c.a&steps=1000", 200, null],
    ["five stats", `/series?${"stat=c.a&".repeat(5)}steps=1`, 200, null],
    ["six stats", `/series?${"stat=c.a&".repeat(6)}steps=1`, 400, /^stat: this request reads 6 or more stat names .* maximum of 5 per request \(MAX_STATS\)/],
    ["three stats, one a join of four names", "/series?stat=c.a&stat=c.b&stat=sum(c.a,c.b,c.c,c.d)&steps=1", 400, /MAX_STATS/],
    ["unmatched stats count as names", `/series?${"stat=nothing&".repeat(6)}`, 400, /MAX_STATS/],
  ])("%s → %s", async (_label, url, status, message) => {
    const res = await g.get(url);
    expect(res.status).toBe(status);
    if (message) expect(res.body.error).toMatch(message);
  });

  it("the issue's case with the defaults: 20 stats × 100,000 buckets is a 400, not 36 MB", async () => {
    const url = `/series?${Array.from({ length: 20 }, (_, i) => `stat=c.s${i}`).join("&")}&start=${NOW - 99_999 * 60}&end=${NOW}`;
    const res = await f.get(url);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("TORUS_ERR_QUERY_TOO_MANY_BUCKETS");
    expect(res.body.error).toMatch(/this request reads 200000 or more buckets .*maximum of 100000 per request \(MAX_BUCKETS\)/);
    // 300 stats in one URL: MAX_STATS, by its own code.
    const many = await f.get(`/series?${Array.from({ length: 300 }, (_, i) => `stat=c.m${i}`).join("&")}&steps=1`);
    expect(many.status).toBe(400);
    expect(many.body.code).toBe("TORUS_ERR_QUERY_TOO_MANY_STATS");
    expect(many.body.error).toMatch(/maximum of 100 per request \(MAX_STATS\)/);
  });

  it("a response past MAX_RESPONSE_MB is a 400 (json data counted as written)", async () => {
    const h = await fixture({ MAX_RESPONSE_MB: 0.01 });
    try {
      // 3,000 values in one series bucket: 5 bytes each as JSON, past 0.01 MB (10,486 bytes).
      const values = Array.from({ length: 3000 }, (_, i) => 1000 + i);
      for (const v of values) await h.karbon.current.runtime.schema("series")!.series.insert("s.big", v, NOW);
      const small = await h.get("/series?stat=count(s.big)&format=json&steps=1");
      expect(small.status).toBe(200);
      expect(small.body[0].datapoints).toEqual({ [MINUTE(NOW)]: values.length });
      const big = await h.get("/series?stat=s.big&format=json&steps=1");
      expect(big.status).toBe(400);
      expect(big.body.code).toBe("TORUS_ERR_QUERY_RESPONSE_TOO_LARGE");
      expect(big.body.error).toMatch(/^this response would be 0\.0\d+ MB, more than the configured maximum of 0\.01 MB \(MAX_RESPONSE_MB\)/);
    } finally {
      await h.close();
    }
  });
});

describe("the bounds are checked before any store is read", () => {
  let reads = 0;
  const broken: Store = {
    url: "counting://db",
    handle: null,
    write: async () => undefined,
    read: async () => {
      reads++;
      throw new StoreError("counting://db", "read refused");
    },
    list: async () => [],
    properties: async () => ({}),
    delete: async () => undefined,
    deleteAll: async () => undefined,
    expire: async () => undefined,
    close: async () => undefined,
  };

  it.each([
    ["MAX_BUCKETS", "/series?stat=c.a&stat=c.b&steps=600", /MAX_BUCKETS/],
    ["MAX_STATS", `/series?${"stat=c.a&".repeat(6)}steps=1`, /MAX_STATS/],
    ["MAX_RESPONSE_MB, from the least text the buckets can take", "/series?stat=c.a&steps=1000", /^this response would be at least 0\.0\d+ MB, .*\(MAX_RESPONSE_MB\)/],
    ["a bad parameter on a later stat", "/series?stat=c.a&stat=c.b&stat=c.c&condense=maybe", /condense/],
    ["a repeated parameter", "/series?stat=c.a&format=json&format=json", /given twice/],
  ])("%s", async (_label, url, message) => {
    registerBackend("counting", async () => async () => broken);
    const exports = fixtureExports({ MAX_BUCKETS: 1000, MAX_STATS: 5, MAX_RESPONSE_MB: 0.01 });
    (exports.SCHEMAS as any).counts.host = "counting://db";
    const runtime = await buildRuntime(compileConfig(exports), new StoreRegistry());
    const app = buildQueryApp({ runtime: () => runtime, clock: () => NOW, cache: false });
    try {
      reads = 0;
      // Within every bound the store is read (and fails): the probe works.
      expect((await app.inject({ method: "GET", url: "/series?stat=c.a&steps=2" })).statusCode).toBe(500);
      expect(reads).toBe(1);
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body).error).toMatch(message);
      expect(reads).toBe(1);
    } finally {
      await app.close();
    }
  });
});
