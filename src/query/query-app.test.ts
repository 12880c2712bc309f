import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileConfig } from "../config/index.js";
import { buildRuntime } from "../runtime/runtime.js";
import { StoreError, StoreRegistry, registerBackend, type Store } from "../timeseries/index.js";
import { buildQueryApp } from "./query-app.js";
import { HOUR, MINUTE, NOW, fixture, fixtureExports, type Fixture } from "./query-fixture.case.js";

// What is sent, by stat: [value, timestamp]. Every expectation below is computed from these.
const SENT: Record<string, Array<[number, number]>> = {
  "c.a": [[3, NOW - 10], [4, NOW - 70], [5, NOW - 75]],
  "c.b": [[7, NOW - 10]],
  "h.t": [[10, NOW - 10], [10, NOW - 11], [20, NOW - 12], [30, NOW - 70]],
  "s.v": [[1, NOW - 10], [2, NOW - 9], [3, NOW - 8]],
  "g.v": [[5, NOW - 20], [9, NOW - 10], [7, NOW - 30]],
  "u.v": [[3, NOW - 10], [1, NOW - 10], [2, NOW - 10], [3, NOW - 10]],
};

/** Values of `stat` per bucket of `bucketOf`. */
function byBucket(stat: string, bucketOf: (t: number) => number): Map<number, Array<[number, number]>> {
  const out = new Map<number, Array<[number, number]>>();
  for (const [v, t] of SENT[stat]) {
    const b = bucketOf(t);
    if (!out.has(b)) out.set(b, []);
    out.get(b)!.push([v, t]);
  }
  return out;
}

/** The `steps` minute buckets ending at NOW. */
const minutes = (steps: number) => Array.from({ length: steps }, (_, i) => MINUTE(NOW) - (steps - 1 - i) * 60);

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const REF: Record<string, Record<string, (vs: number[], d: number) => unknown>> = {
  count: { mean: sum, avg: sum, sum, count: sum, min: sum, max: sum, rate: (vs, d) => sum(vs) / d },
  histogram: {
    mean: (vs) => sum(vs) / vs.length,
    avg: (vs) => sum(vs) / vs.length,
    sum,
    count: (vs) => vs.length,
    min: (vs) => Math.min(...vs),
    max: (vs) => Math.max(...vs),
    rate: (vs, d) => Object.fromEntries([...new Set(vs)].map((v) => [String(v), vs.filter((x) => x === v).length / d])),
  },
  series: { mean: (vs) => sum(vs) / vs.length, sum, count: (vs) => vs.length, min: (vs) => Math.min(...vs), max: (vs) => Math.max(...vs), rate: (vs, d) => vs.length / d },
  set: {
    mean: (vs) => sum([...new Set(vs)]) / new Set(vs).size,
    sum: (vs) => sum([...new Set(vs)]),
    count: (vs) => new Set(vs).size,
    min: (vs) => Math.min(...vs),
    max: (vs) => Math.max(...vs),
    rate: (vs, d) => new Set(vs).size / d,
  },
};
const TYPE_OF: Record<string, string> = { "c.a": "count", "h.t": "histogram", "s.v": "series", "u.v": "set" };

let f: Fixture;
beforeAll(async () => {
  f = await fixture();
  for (const [stat, points] of Object.entries(SENT)) await f.send(points.map(([v, t]) => [stat, v, t]));
});
afterAll(() => f.close());

describe("/series graphite format", () => {
  it.each(Object.entries(TYPE_OF).flatMap(([stat, type]) => Object.keys(REF[type]).map((fn) => [stat, type, fn] as const)))(
    "%s (%s) with %s(): one [value, bucket] per bucket, oldest first, null where nothing was stored",
    async (stat, type, fn) => {
      const { status, body } = await f.get(`/series?stat=${fn}(${stat})&interval=minute&steps=5`);
      expect(status).toBe(200);
      const groups = byBucket(stat, MINUTE);
      const expected = minutes(5).map((b) => {
        const vs = groups.get(b)?.map(([v]) => v);
        return [vs ? REF[type][fn](vs, 60) : null, b];
      });
      expect(body).toEqual([{ stat: `${fn}(${stat})`, stat_name: stat, target: stat, function: fn, schema: f.config.schemas.find((s) => s.matches(stat))!.name, interval: "minute", datapoints: expected }]);
    },
  );

  it("applies mean when no function is given, and the gauge keeps the newest value by timestamp", async () => {
    const { body } = await f.get("/series?stat=g.v&stat=h.t&steps=3");
    const newest = [...SENT["g.v"]].sort((a, b) => b[1] - a[1])[0][0];
    expect(body[0].function).toBe("mean");
    expect(body[0].interval).toBe("minute"); // the schema's first interval
    expect(body[0].datapoints).toEqual(minutes(3).map((b) => [b === MINUTE(NOW) ? newest : null, b]));
    const hist = byBucket("h.t", MINUTE);
    expect(body[1].datapoints).toEqual(minutes(3).map((b) => [hist.has(b) ? REF.histogram.mean(hist.get(b)!.map(([v]) => v), 60) : null, b]));
  });

  it("joins several stats with func(a,b) and reports the aggregate rollup karbon wrote", async () => {
    const { body } = await f.get("/series?stat=sum(c.a,c.b)&stat=c.total&steps=3");
    const join = (b: number) => sum([...(byBucket("c.a", MINUTE).get(b) ?? []), ...(byBucket("c.b", MINUTE).get(b) ?? [])].map(([v]) => v)) || null;
    expect(body[0].stat_name).toBe("c.a,c.b");
    expect(body[0].datapoints).toEqual(minutes(3).map((b) => [join(b), b]));
    // c.total is the rollup of every c.* point (AGGREGATES), stored as karbon would.
    expect(body[1].datapoints).toEqual(body[0].datapoints);
  });

  it("folds resolutions in graphite format even with condense=false", async () => {
    const { body } = await f.get("/series?stat=sum(c.a)&interval=hour&steps=2&condense=false");
    const total = sum(SENT["c.a"].filter(([, t]) => HOUR(t) === HOUR(NOW)).map(([v]) => v));
    expect(body[0].datapoints).toEqual([[null, HOUR(NOW) - 3600], [total, HOUR(NOW)]]);
  });

  it("collapse folds the range into one point keyed by the first bucket", async () => {
    for (const flag of ["true", "1", "yes", "TRUE"]) {
      const { body } = await f.get(`/series?stat=sum(c.a)&steps=10&collapse=${flag}`);
      expect(body[0].datapoints).toEqual([[sum(SENT["c.a"].map(([v]) => v)), minutes(10)[0]]]);
    }
    const { body } = await f.get("/series?stat=sum(c.a)&steps=3&collapse=no");
    expect(body[0].datapoints).toHaveLength(3);
  });

  it("gives a stat no schema matches an entry with empty datapoints", async () => {
    const { status, body } = await f.get("/series?stat=nothing.here&stat=max(nothing.else)");
    expect(status).toBe(200);
    expect(body.map((e: any) => [e.stat, e.schema, e.datapoints])).toEqual([["nothing.here", null, []], ["max(nothing.else)", null, []]]);
  });

  it("schema forces a schema other than the first match", async () => {
    const { body } = await f.get("/series?stat=sum(c.a)&schema=counts_daily&steps=1");
    expect(body[0].schema).toBe("counts_daily");
    expect(body[0].interval).toBe("day");
    expect(body[0].datapoints).toEqual([[sum(SENT["c.a"].map(([v]) => v)), NOW - (NOW % 86400)]]);
  });
});

describe("/series ranges", () => {
  const sums = byBucket("c.a", MINUTE);
  const point = (b: number) => [sums.has(b) ? sum(sums.get(b)!.map(([v]) => v)) : null, b];
  const first = MINUTE(NOW) - 120;

  it.each([
    ["start+steps", `start=${first}&steps=3`, [first, first + 60, first + 120]],
    ["end+steps", `end=${NOW}&steps=2`, [MINUTE(NOW) - 60, MINUTE(NOW)]],
    ["start+end", `start=${first + 5}&end=${NOW}`, [first, first + 60, first + 120]],
    ["graphite offsets", "start=-2min&end=now", [first, first + 60, first + 120]],
    ["phrases", "start=2%20minutes%20ago&end=now", [first, first + 60, first + 120]],
    ["ISO 8601", `start=${new Date(first * 1000).toISOString()}&steps=3`, [first, first + 60, first + 120]],
    ["absolute date and time", `start=${new Date(first * 1000).toISOString().slice(0, 16).replace("T", "%20")}&steps=3`, [first, first + 60, first + 120]],
  ])("%s", async (_label, query, buckets) => {
    const { status, body } = await f.get(`/series?stat=sum(c.a)&${query}`);
    expect(status).toBe(200);
    expect(body[0].datapoints).toEqual(buckets.map(point));
  });

  it("defaults steps to the interval's retention", async () => {
    const { body } = await f.get("/series?stat=c.a&interval=hour");
    expect(body[0].datapoints).toHaveLength(48);
  });
});

describe("/series json format", () => {
  it("count, histogram (value → count), series (arrival order), gauge, set (sorted members)", async () => {
    const { body } = await f.get("/series?stat=c.a&stat=h.t&stat=s.v&stat=g.v&stat=u.v&format=json&steps=2");
    const b = MINUTE(NOW);
    const prev = b - 60;
    const at = (stat: string, bucket: number) => byBucket(stat, MINUTE).get(bucket)?.map(([v]) => v) ?? null;
    const hist = (vs: number[] | null) => (vs ? Object.fromEntries([...new Set(vs)].map((v) => [String(v), vs.filter((x) => x === v).length])) : null);
    expect(body.map((e: any) => e.function)).toEqual([null, null, null, null, null]);
    expect(body[0].datapoints).toEqual({ [prev]: at("c.a", prev) && sum(at("c.a", prev)!), [b]: sum(at("c.a", b)!) });
    expect(body[1].datapoints).toEqual({ [prev]: hist(at("h.t", prev)), [b]: hist(at("h.t", b)) });
    expect(body[2].datapoints).toEqual({ [prev]: null, [b]: [...SENT["s.v"]].sort((x, y) => x[1] - y[1]).map(([v]) => v) });
    expect(body[3].datapoints).toEqual({ [prev]: null, [b]: 9 });
    expect(body[4].datapoints).toEqual({ [prev]: null, [b]: [...new Set(at("u.v", b))].sort((x, y) => x - y) });
  });

  it("with resolutions and no condense: {bucket: {sub: data}}; condense folds them", async () => {
    const subs = byBucket("c.a", MINUTE);
    const raw = await f.get("/series?stat=c.a&format=json&interval=hour&steps=1");
    expect(raw.body[0].datapoints).toEqual({ [HOUR(NOW)]: Object.fromEntries([...subs].map(([s, vs]) => [s, sum(vs.map(([v]) => v))])) });
    const condensed = await f.get("/series?stat=c.a&format=json&interval=hour&steps=1&condense=1");
    expect(condensed.body[0].datapoints).toEqual({ [HOUR(NOW)]: sum(SENT["c.a"].map(([v]) => v)) });
    const hist = await f.get("/series?stat=h.t&format=json&interval=hour&steps=1&condense=yes");
    const vs = SENT["h.t"].map(([v]) => v);
    expect(hist.body[0].datapoints[HOUR(NOW)]).toEqual(Object.fromEntries([...new Set(vs)].map((v) => [String(v), vs.filter((x) => x === v).length])));
  });
});

describe("/series functions from TRANSFORMS and MACROS", () => {
  it("a TRANSFORMS name is a function", async () => {
    const { body } = await f.get("/series?stat=double(c.a)&steps=1");
    expect(body[0]).toMatchObject({ function: "double", datapoints: [[2 * sum(SENT["c.a"].filter(([, t]) => MINUTE(t) === MINUTE(NOW)).map(([v]) => v)), MINUTE(NOW)]] });
    const spread = await f.get("/series?stat=spread(h.t)&steps=1");
    const vs = SENT["h.t"].filter(([, t]) => MINUTE(t) === MINUTE(NOW)).map(([v]) => v);
    expect(spread.body[0].datapoints).toEqual([[Math.max(...vs) - Math.min(...vs), MINUTE(NOW)]]);
  });

  it("a macro's interval and transform override the query, and its transform may name a TRANSFORMS entry", async () => {
    const { body } = await f.get("/series?stat=hourly_double(c.a)&interval=minute&steps=1");
    expect(body[0]).toMatchObject({ function: "hourly_double", interval: "hour", datapoints: [[2 * sum(SENT["c.a"].map(([v]) => v)), HOUR(NOW)]] });
  });

  it("a macro's format reaches the output; built-in transform by name", async () => {
    const { body } = await f.get("/series?stat=members(u.v)&steps=1");
    expect(body[0].datapoints).toEqual({ [MINUTE(NOW)]: new Set(SENT["u.v"].map(([v]) => v)).size });
  });

  it("process_row and a condense function reach the library", async () => {
    // process_row turns each sub-bucket's histogram into its number of distinct values; condense adds them.
    const { body } = await f.get("/series?stat=rowcount(h.t)&steps=1");
    const distinctPerMinute = [...byBucket("h.t", MINUTE).values()].map((vs) => new Set(vs.map(([v]) => v)).size);
    expect(body[0].datapoints).toEqual({ [HOUR(NOW)]: sum(distinctPerMinute) });
  });

  it("join_rows replaces the type's join across stats", async () => {
    const { body } = await f.get("/series?stat=maxjoin(c.a,c.b)&steps=1");
    const at = (stat: string) => sum(SENT[stat].filter(([, t]) => MINUTE(t) === MINUTE(NOW)).map(([v]) => v));
    expect(body[0].datapoints).toEqual([[Math.max(at("c.a"), at("c.b")), MINUTE(NOW)]]);
  });

  it("fetch replaces the store read", async () => {
    const { body } = await f.get(`/series?stat=fetched(c.a)&start=${MINUTE(NOW) - 240}&steps=4`);
    const buckets = [0, 1, 2, 3].map((i) => MINUTE(NOW) - 240 + i * 60);
    expect(body[0].datapoints).toEqual(Object.fromEntries(buckets.map((b) => [b, b % 120 === 0 ? 42 : null])));
  });

  it("a macro's collapse", async () => {
    const { body } = await f.get("/series?stat=total(c.a)&steps=5");
    expect(body[0].datapoints).toEqual([[sum(SENT["c.a"].map(([v]) => v)), minutes(5)[0]]]);
  });
});

describe("bad input", () => {
  const long = "c." + "x".repeat(10 * 1024);
  it.each([
    ["missing stat", "/series", 400, /missing parameter "stat"/],
    ["empty stat", "/series?stat=", 400, /missing parameter "stat"/],
    ["unknown interval", "/series?stat=c.a&interval=fortnight", 400, /unknown interval "fortnight".*minute, hour/],
    ["unknown schema", "/series?stat=c.a&schema=nope", 404, /unknown schema "nope"/],
    ["unparseable start", "/series?stat=c.a&start=next%20blursday", 400, /start: cannot parse time "next blursday"/],
    ["unparseable end", "/series?stat=c.a&end=2026-13-45", 400, /end: cannot parse time/],
    ["bad offset unit", "/series?stat=c.a&start=-3fortnights", 400, /start: cannot parse time/],
    ["unknown function", "/series?stat=median(c.a)", 400, /unknown function "median".*built-ins: mean, avg/],
    ["steps=-1", "/series?stat=c.a&steps=-1", 400, /steps: expected a positive whole number, got "-1"/],
    ["steps=0", "/series?stat=c.a&steps=0", 400, /steps: expected a positive whole number/],
    ["steps=abc", "/series?stat=c.a&steps=abc", 400, /steps: expected a positive whole number/],
    ["steps=10000000", "/series?stat=c.a&steps=10000000", 400, /10000000 buckets is more than the configured maximum of 100000 \(MAX_BUCKETS\)/],
    ["range over MAX_BUCKETS", "/series?stat=c.a&start=0&end=now", 400, /more than the configured maximum of 100000/],
    ["end before start", `/series?stat=c.a&start=${NOW}&end=${NOW - 3600}`, 400, /end .* is before start/],
    ["a 10 KB stat name", `/series?stat=${long}`, 400, /stat name of 10242 characters is longer than the 4096/],
    ["a 10 KB stat name in a join", `/series?stat=sum(c.a,${long})`, 400, /longer than the 4096/],
    ["bad format", "/series?stat=c.a&format=xml", 400, /format: expected graphite or json, got "xml"/],
    ["bad boolean", "/series?stat=c.a&format=json&condense=maybe", 400, /condense: expected true\/false\/1\/0\/yes\/no, got "maybe"/],
    ["bad collapse", "/series?stat=c.a&collapse=2", 400, /collapse: expected true\/false/],
    ["empty name in a join", "/series?stat=sum(c.a,)", 400, /empty stat name/],
    ["unknown command", "/graphite?target=x", 404, /unknown command "GET \/graphite"/],
    ["properties without stat", "/properties", 400, /missing parameter "stat"/],
    ["list of an unknown schema", "/list?schema=nope", 404, /unknown schema "nope"/],
    ["insert without value", "POST /insert?stat=c.a", 400, /missing parameter "value"/],
    ["insert without stat", "POST /insert?value=1", 400, /missing parameter "stat"/],
    ["insert with a bad value", "POST /insert?stat=c.a&value=lots", 400, /rejected value "lots"/],
    ["insert with a bad timestamp", "POST /insert?stat=c.a&value=1&timestamp=whenever", 400, /timestamp: cannot parse time/],
    ["insert of a 10 KB name", `POST /insert?stat=${long}&value=1`, 400, /longer than the 4096/],
  ])("%s → %i", async (_label, url, status, message) => {
    const res = url.startsWith("POST ") ? await f.post(url.slice(5)) : await f.get(url);
    expect(res.status).toBe(status);
    expect(Object.keys(res.body)).toContain("error");
    expect(res.body.error).toMatch(message);
    expect(res.body.error.length).toBeLessThan(400);
  });

  it("a bad parameter on the second stat fails the whole request before any read", async () => {
    const res = await f.get("/series?stat=c.a&stat=bogus(c.a)");
    expect(res.status).toBe(400);
  });
});

describe("/list, /properties, /insert, DELETE /series", () => {
  it("/list gives sorted names of every schema, or of one", async () => {
    const all = await f.get("/list");
    const sent = [...Object.keys(SENT), "c.total"];
    expect(all.body).toEqual([...new Set(sent)].sort());
    const counts = await f.get("/list?schema=counts");
    expect(counts.body).toEqual(["c.a", "c.b", "c.total"]);
  });

  it("/properties gives {stat: {schema: {interval: {first, last}}}} over every matching schema", async () => {
    const { body } = await f.get("/properties?stat=c.a");
    const ts = SENT["c.a"].map(([, t]) => t);
    expect(body).toEqual({
      "c.a": {
        counts: { minute: { first: MINUTE(Math.min(...ts)), last: MINUTE(Math.max(...ts)) }, hour: { first: HOUR(NOW), last: HOUR(NOW) } },
        counts_daily: { day: { first: NOW - (NOW % 86400), last: NOW - (NOW % 86400) } },
      },
    });
    const none = await f.get("/properties?stat=zzz");
    expect(none.body).toEqual({ zzz: {} });
  });

  it("/insert by POST with a query string, a form body or a JSON body, routed through aggregates as karbon does", async () => {
    const t = NOW - 3 * 60;
    const get = await f.post(`/insert?stat=c.ins&value=2&timestamp=${t}`);
    expect(get.body).toEqual({ stat: "c.ins", value: "2", timestamp: t, stored: 4 }); // counts + counts_daily, for c.ins and c.total
    const form = await f.app.inject({ method: "POST", url: "/insert", payload: `stat=c.ins&value=5&timestamp=${t + 1}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.statusCode).toBe(200);
    const json = await f.app.inject({ method: "POST", url: "/insert", payload: { stat: "c.ins", value: 11, timestamp: t + 2 } });
    expect(json.statusCode).toBe(200);
    const { body } = await f.get(`/series?stat=sum(c.ins)&start=${t}&steps=1`);
    expect(body[0].datapoints).toEqual([[2 + 5 + 11, MINUTE(t)]]);
    const total = await f.get(`/series?stat=sum(c.total)&start=${t}&steps=1`);
    expect(total.body[0].datapoints).toEqual([[2 + 5 + 11, MINUTE(t)]]);
    // No timestamp: now (the server's clock).
    const now = await f.post("/insert?stat=g.now&value=4");
    expect(now.body.timestamp).toBe(NOW);
    // A stat no schema matches is a dead letter, as in karbon: accepted, stored nowhere.
    const dead = await f.post("/insert?stat=nowhere&value=1");
    expect(dead.body.stored).toBe(0);
  });

  it("DELETE /series deletes a stat from one schema or from every schema it matches", async () => {
    await f.send([["c.del", 1, NOW]]);
    const one = await f.app.inject({ method: "DELETE", url: "/series?stat=c.del&schema=counts_daily" });
    expect(JSON.parse(one.body)).toEqual({ stat: "c.del", deleted: ["counts_daily"] });
    expect((await f.get("/properties?stat=c.del")).body["c.del"].counts_daily).toEqual({});
    expect((await f.get("/properties?stat=c.del")).body["c.del"].counts.minute).toBeDefined();
    const all = await f.app.inject({ method: "DELETE", url: "/series?stat=c.del" });
    expect(JSON.parse(all.body).deleted).toEqual(["counts", "counts_daily"]);
    expect((await f.get("/list")).body).not.toContain("c.del");
    const missing = await f.app.inject({ method: "DELETE", url: "/series" });
    expect(missing.statusCode).toBe(400);
  });
});

describe("/metrics and access logs", () => {
  it("counts requests and latency by command, and errors by code", async () => {
    await f.get("/series?stat=c.a");
    await f.get("/series?stat=c.a&steps=-1");
    await f.get("/nope");
    const { text, status } = await f.get("/metrics");
    expect(status).toBe(200);
    expect(text).toMatch(/torus_requests_total\{command="series",status="200"\} \d+/);
    expect(text).toMatch(/torus_requests_total\{command="series",status="400"\} \d+/);
    expect(text).toMatch(/torus_request_duration_seconds_count\{command="series"\} \d+/);
    expect(text).toMatch(/torus_request_errors_total\{command="series",code="TORUS_ERR_QUERY_BAD_PARAMETER"\} \d+/);
    expect(text).toMatch(/torus_request_errors_total\{command="unknown",code="TORUS_ERR_QUERY_UNKNOWN_COMMAND"\} \d+/);
  });

  it("names the TCP peer, not X-Forwarded-For, unless TRUST_PROXY says so", async () => {
    await f.app.inject({ method: "GET", url: "/list?via=forged", remoteAddress: "198.51.100.7", headers: { "x-forwarded-for": "203.0.113.9, 10.0.0.1" } });
    await f.app.inject({ method: "GET", url: "/list?via=direct", remoteAddress: "198.51.100.8" });
    const lines = f.logs.filter((l) => l.msg === "request");
    expect(lines.find((l) => l.url === "/list?via=forged")).toMatchObject({ client: "198.51.100.7", status: 200, method: "GET" });
    expect(lines.find((l) => l.url === "/list?via=direct")).toMatchObject({ client: "198.51.100.8" });
  });
});

describe("WRITE_TOKEN", () => {
  let g: Fixture;
  beforeAll(async () => (g = await fixture({ WRITE_TOKEN: "s3cret" })));
  afterAll(() => g.close());

  it.each([
    ["no header", {}],
    ["wrong token", { authorization: "Bearer nope" }],
    ["not bearer", { authorization: "Basic czNjcmV0" }],
  ])("/insert and DELETE answer 401 with %s", async (_label, headers) => {
    const ins = await g.app.inject({ method: "POST", url: "/insert?stat=c.a&value=1", headers });
    expect(ins.statusCode).toBe(401);
    expect(ins.headers["www-authenticate"]).toMatch(/Bearer/);
    expect(JSON.parse(ins.body).error).toMatch(/WRITE_TOKEN/);
    const del = await g.app.inject({ method: "DELETE", url: "/series?stat=c.a", headers });
    expect(del.statusCode).toBe(401);
    expect((await g.get("/list")).body).toEqual([]);
  });

  it("accepts the token; reads need none", async () => {
    await g.send([["c.a", 3, NOW]], { authorization: "Bearer s3cret" });
    expect((await g.get("/series?stat=c.a&steps=1")).body[0].datapoints).toEqual([[3, MINUTE(NOW)]]);
    const del = await g.app.inject({ method: "DELETE", url: "/series?stat=c.a", headers: { authorization: "Bearer s3cret" } });
    expect(del.statusCode).toBe(200);
  });

  it("MAX_BUCKETS from the config caps steps", async () => {
    const h = await fixture({ MAX_BUCKETS: 50 });
    try {
      expect((await h.get("/series?stat=c.a&steps=50")).status).toBe(200);
      const res = await h.get("/series?stat=c.a&steps=51");
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/maximum of 50/);
      // An interval keeping more buckets than the cap needs explicit steps.
      expect((await h.get("/series?stat=c.a")).status).toBe(400);
    } finally {
      await h.close();
    }
  });
});

describe("a store that fails", () => {
  it("answers 500 with a code and a short message, logs the store's message, and 400s stay 400s", async () => {
    const broken: Store = {
      url: "broken://db",
      handle: null,
      write: async () => {
        throw new StoreError("broken://db", "connection refused");
      },
      read: async () => {
        throw new StoreError("broken://db", "connection refused");
      },
      list: async () => {
        throw new StoreError("broken://db", "connection refused");
      },
      properties: async () => {
        throw new StoreError("broken://db", "connection refused");
      },
      delete: async () => undefined,
      deleteAll: async () => undefined,
      expire: async () => undefined,
      close: async () => undefined,
    };
    registerBackend("broken", async () => async () => broken);
    const exports = fixtureExports();
    (exports.SCHEMAS as any).counts.host = "broken://db";
    const runtime = await buildRuntime(compileConfig(exports), new StoreRegistry());
    const logs: Array<Record<string, any>> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const app = buildQueryApp({ runtime: () => runtime, clock: () => NOW, logger });
    try {
      for (const url of ["/series?stat=c.a", "/list", "/properties?stat=c.a"]) {
        const res = await app.inject({ method: "GET", url });
        expect(res.statusCode).toBe(500);
        const body = JSON.parse(res.body);
        expect(body.code).toBe("TORUS_ERR_STORE");
        expect(body.error).toMatch(/^a store failed; the server log has the details \(request req-\w+\)$/);
        expect(res.body).not.toMatch(/broken|refused|db/);
        // The log has what the answer withholds, under the request id the answer gives.
        const id = /\(request (req-\w+)\)/.exec(body.error)![1];
        expect(logs.find((l) => l.msg === "request failed" && l.request === id)).toMatchObject({ code: "TORUS_ERR_STORE", err: "broken://db: connection refused" });
      }
      expect((await app.inject({ method: "GET", url: "/series?stat=c.a&steps=-1" })).statusCode).toBe(400);
      // Without a write path /insert is not served.
      expect((await app.inject({ method: "POST", url: "/insert?stat=c.a&value=1" })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });
});
