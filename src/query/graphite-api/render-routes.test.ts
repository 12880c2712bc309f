import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MINUTE, NOW, fixture, type Fixture } from "../query-fixture.case.js";
import type { Runtime } from "../../runtime/runtime.js";
import { ListingNameSource } from "./listing-name-source.case.js";

// Names listed afresh on every request: what was just inserted is findable at once.
const listing = (runtime: Runtime) => ({ names: new ListingNameSource(() => runtime) });

// Points of the fixture's minute interval (step 60): the whisper range (from, until] with until = NOW.
const M = MINUTE(NOW);
const FROM = NOW - 300; // points M-240 … M (five)
const range = `from=${FROM}&until=${NOW}&now=${NOW}`;

let f: Fixture;
beforeAll(async () => {
  f = await fixture({ RENDER_MAX_SERIES: 20 }, listing);
  await f.send([
    ["c.a", 3, NOW - 120],
    ["c.a", 4, NOW - 60],
    ["c.b", 10, NOW - 60],
    ["c.b", 1, NOW - 62],
    ["g.x", 5, NOW - 120],
    ["g.x", 7, NOW - 60],
  ]);
});
afterAll(() => f.close());

const post = async (url: string, body: string) => {
  const res = await f.app.inject({ method: "POST", url, payload: body, headers: { "content-type": "application/x-www-form-urlencoded" } });
  return { status: res.statusCode, text: res.body, body: JSON.parse(res.body), type: res.headers["content-type"] };
};

describe("/render format=json", () => {
  it("a glob: one series per stored name, sorted, points t with from < t ≤ until", async () => {
    const { status, body } = await f.get(`/render?target=c.*&${range}&format=json`);
    expect(status).toBe(200);
    const ts = [M - 240, M - 180, M - 120, M - 60, M];
    expect(body).toEqual([
      { target: "c.a", tags: { name: "c.a" }, datapoints: [null, null, 3, 4, null].map((v, i) => [v, ts[i]]) },
      { target: "c.b", tags: { name: "c.b" }, datapoints: [null, null, null, 11, null].map((v, i) => [v, ts[i]]) },
      // The fixture's aggregate rolls c.* up into c.total as karbon stores them.
      { target: "c.total", tags: { name: "c.total" }, datapoints: [null, null, 3, 15, null].map((v, i) => [v, ts[i]]) },
    ]);
  });

  it("writes graphite-web's text: Python separators and float reprs", async () => {
    const { text } = await f.get(`/render?target=c.a&${range}&format=json`);
    expect(text).toBe(`[{"target": "c.a", "tags": {"name": "c.a"}, "datapoints": [[null, ${M - 240}], [null, ${M - 180}], [3.0, ${M - 120}], [4.0, ${M - 60}], [null, ${M}]]}]`);
  });

  it("functions over fetched series, pipes, and an unmatched path giving nothing", async () => {
    const { body } = await f.get(`/render?target=sumSeries(c.{a,b})&target=c.a|scale(2)&target=no.such.*&${range}`);
    expect(body.map((s: any) => s.target)).toEqual(["sumSeries(c.{a,b})", "scale(c.a,2)"]);
    expect(body[0].datapoints.map((p: any) => p[0])).toEqual([null, null, 3, 15, null]);
    expect(body[1].datapoints.map((p: any) => p[0])).toEqual([null, null, 6, 8, null]);
  });

  it("maxDataPoints=1 folds a count by sum and a gauge by average (the type's consolidation)", async () => {
    const { body } = await f.get(`/render?target=c.a&target=g.x&${range}&maxDataPoints=1`);
    expect(body).toEqual([
      { target: "c.a", tags: { name: "c.a" }, datapoints: [[7, M - 240]] },
      { target: "g.x", tags: { name: "g.x" }, datapoints: [[6, M - 240]] },
    ]);
    const avg = await f.get(`/render?target=consolidateBy(c.a,"average")&${range}&maxDataPoints=1`);
    expect(avg.body[0].datapoints).toEqual([[3.5, M - 240]]);
  });

  it("a range older than the minute interval's 2 h is read from the hour interval's minute sub-buckets", async () => {
    const from = NOW - 5 * 3600;
    const { body } = await f.get(`/render?target=c.a&from=${from}&until=${NOW}&now=${NOW}`);
    const start = MINUTE(from) + 60;
    expect(body[0].datapoints[0][1]).toBe(start);
    expect(body[0].datapoints.length).toBe((M + 60 - start) / 60);
    const byTime = new Map(body[0].datapoints.map(([v, t]: [number, number]) => [t, v]));
    expect(byTime.get(M - 120)).toBe(3);
    expect(byTime.get(M - 60)).toBe(4);
  });

  it("movingAverage re-reads its input from before `from`, timeShift over the shifted range", async () => {
    const { body } = await f.get(`/render?target=movingAverage(c.a,2)&target=timeShift(c.a,"1min")&${range}`);
    // Windows of two points ending at each point: (null,null) (null,3) (3,4) (4,null).
    expect(body[0].datapoints.map((p: any) => p[0])).toEqual([null, null, 3, 3.5, 4]);
    expect(body[1].target).toBe('timeShift(c.a, "-1min")');
    expect(body[1].datapoints.map((p: any) => p)).toEqual([[null, M - 240], [null, M - 180], [null, M - 120], [3, M - 60], [4, M]]);
  });

  it("noNullPoints drops null points and series left empty; jsonp wraps the body", async () => {
    const { body } = await f.get(`/render?target=c.a&target=c.nothing&target=removeAboveValue(c.b,0)&${range}&noNullPoints`);
    expect(body).toEqual([{ target: "c.a", tags: { name: "c.a" }, datapoints: [[3, M - 120], [4, M - 60]] }]);
    const res = await f.app.inject({ url: `/render?target=c.a&${range}&format=json&jsonp=cb` });
    expect(res.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(res.body.startsWith("cb([{")).toBe(true);
    expect(res.body.endsWith("}])")).toBe(true);
  });

  it("±Infinity as ±1e9999 and NaN as null: always strict JSON", async () => {
    const { text, body } = await f.get(`/render?target=invert(offset(c.a,-3))&target=scale(invert(offset(c.a,-3)),-1)&${range}`);
    expect(text).not.toMatch(/Infinity|NaN/);
    // invert(0) is null in graphite-web; 1/(4-3) = 1.
    expect(body[0].datapoints.map((p: any) => p[0])).toEqual([null, null, null, 1, null]);
    const inf = await f.get(`/render?target=scale(c.a,1e308)|scale(10)&${range}`);
    expect(inf.text).toContain("[1e9999, ");
    expect(inf.body[0].datapoints[2][0]).toBe(Infinity);
  });
});

describe("Grafana's requests", () => {
  it('"Save & test": aliasSub(constantLine(100)) in a POST form body', async () => {
    const from = NOW - 3600;
    const r = await post("/render", `target=${encodeURIComponent('aliasSub(constantLine(100), "(^.*$)", "\\1 A")')}&from=${from}&until=${NOW}&format=json&maxDataPoints=300`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/json/);
    expect(r.text).toBe(`[{"target": "100.0 A", "tags": {"name": "100.0"}, "datapoints": [[100.0, ${from}], [100.0, ${from + 1800}], [100.0, ${from + 3600}]]}]`);
  });

  it("a panel: several targets wrapped by Grafana 12's aliasSub, form body merged with the query string", async () => {
    const wrap = (t: string, ref: string) => encodeURIComponent(`aliasSub(${t}, "(^.*$)", "\\1 ${ref}")`);
    const r = await post(`/render?target=${wrap("c.b", "A")}&from=1`, `target=${wrap("sumSeries(c.a,c.b)", "B")}&from=${FROM}&until=${NOW}&now=${NOW}&format=json&maxDataPoints=1000`);
    expect(r.status).toBe(200);
    // URL targets first; the body's `from` wins over the URL's.
    expect(r.body.map((s: any) => s.target)).toEqual(["c.b A", "sumSeries(c.a,c.b) B"]);
    expect(r.body[0].datapoints[0][1]).toBe(M - 240);
  });

  it("older Grafana: relative from/until, target[]", async () => {
    const { body } = await f.get(`/render?target[]=c.a&from=-5min&until=now&now=${NOW}`);
    expect(body[0].datapoints.map((p: any) => p[1])).toEqual([M - 240, M - 180, M - 120, M - 60, M]);
  });

  it("maxDataPoints = a panel width smaller than the points: consolidated by sum for a count", async () => {
    // 5 points, mdp 2: vpp 3; the start moves to the next multiple of 180 after M-240.
    const { body } = await f.get(`/render?target=c.a&${range}&maxDataPoints=2`);
    const start = M - 240;
    const spp = 180;
    const newStart = start - (start % spp) + spp;
    const dropped = (newStart - start) / 60 - 1;
    const values = [null, null, 3, 4, null].slice(dropped);
    const runs: (number | null)[] = [];
    for (let i = 0; i < values.length; i += 3) {
      const run = values.slice(i, i + 3).filter((v): v is number => v !== null);
      runs.push(run.length ? run.reduce((a, b) => a + b, 0) : null);
    }
    const expected = runs.map((v, k) => [v, newStart + k * spp]).filter(([, t]) => (t as number) <= M + 60);
    expect(body[0].datapoints).toEqual(expected);
  });
});

describe("/render csv and raw", () => {
  it("csv: name, wall-clock time in tz, value (empty for null), CRLF", async () => {
    const r = await f.app.inject({ url: `/render?target=c.a&${range}&format=csv&tz=UTC` });
    expect(r.headers["content-type"]).toMatch(/^text\/csv/);
    const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19).replace("T", " ");
    const rows = [null, null, 3, 4, null].map((v, i) => `c.a,${iso(M - 240 + 60 * i)},${v === null ? "" : `${v}.0`}\r\n`);
    expect(r.body).toBe(rows.join(""));
    const quoted = await f.app.inject({ url: `/render?target=sumSeries(c.a,c.b)&${range}&format=csv` });
    expect(quoted.body.split("\r\n")[0]).toBe(`"sumSeries(c.a,c.b)",${iso(M - 240)},`);
  });

  it("raw: name,start,end,step|values with None", async () => {
    const r = await f.app.inject({ url: `/render?target=c.a&${range}&format=raw` });
    expect(r.body).toBe(`c.a,${M - 240},${M + 60},60|None,None,3.0,4.0,None\n`);
  });
});

describe("/render bad input: a 400 naming the problem, never a 500", () => {
  const cases: Array<[string, string, string | RegExp]> = [
    ["sumSeries(c.a", "TORUS_ERR_GRAPHITE_BAD_TARGET", /position 13/],
    ["sumSeries(c.a))", "TORUS_ERR_GRAPHITE_BAD_TARGET", /position/],
    ["nosuchFunc(c.a)", "TORUS_ERR_GRAPHITE_UNKNOWN_FUNCTION", /nosuchFunc/],
    ['scale(c.a,"x")', "TORUS_ERR_GRAPHITE_ARG_TYPE", /scale/],
    ["scale(c.a)", "TORUS_ERR_GRAPHITE_ARG_COUNT", /factor/],
    ["scale(c.a,1,2,3)", "TORUS_ERR_GRAPHITE_ARG_COUNT", /at most/],
    ["movingAverage(c.a,'5x')", "TORUS_ERR_GRAPHITE_ARG_VALUE", /5x/],
    ["divideSeries(c.a,c.*)", "TORUS_ERR_GRAPHITE_ARG_VALUE", /divideSeries/],
  ];
  for (const [target, code, message] of cases) {
    it(target, async () => {
      const { status, body } = await f.get(`/render?target=${encodeURIComponent(target)}&${range}`);
      expect(status).toBe(400);
      expect(body.code).toBe(code);
      expect(body.error).toMatch(message);
    });
  }

  it("parameters: maxDataPoints 0/-1/abc, an empty range, a bad time, a bad format, xFilesFactor", async () => {
    for (const mdp of ["0", "-1", "abc", "1.5"]) {
      const r = await f.get(`/render?target=c.a&${range}&maxDataPoints=${mdp}`);
      expect(r.status, mdp).toBe(400);
      expect(r.body.error).toMatch(/maxDataPoints/);
    }
    expect((await f.get(`/render?target=c.a&from=${NOW}&until=${NOW}`)).body.code).toBe("TORUS_ERR_GRAPHITE_EMPTY_RANGE");
    expect((await f.get(`/render?target=c.a&from=-5m`)).body.code).toBe("TORUS_ERR_GRAPHITE_BAD_TIME");
    expect((await f.get(`/render?target=c.a&format=png`)).status).toBe(400);
    expect((await f.get(`/render?target=c.a&xFilesFactor=2`)).status).toBe(400);
    expect((await f.get(`/render?target=c.a&format=json&jsonp=alert(1)`)).status).toBe(400);
  });

  it("from after until is swapped, as graphite-web does", async () => {
    const a = await f.get(`/render?target=c.a&from=${NOW}&until=${FROM}&now=${NOW}`);
    const b = await f.get(`/render?target=c.a&${range}`);
    expect(a.status).toBe(200);
    expect(a.body).toEqual(b.body);
  });

  it("a range entirely in the future gives no series", async () => {
    const { status, body } = await f.get(`/render?target=c.a&from=${NOW + 600}&until=${NOW + 1200}&now=${NOW}`);
    expect(status).toBe(200);
    expect(body).toEqual([]);
  });

  it("a glob matching more names than RENDER_MAX_SERIES is a bounded 400; the bound is over the whole request", async () => {
    await f.send(Array.from({ length: 25 }, (_, i): [string, number, number] => [`c.many.n${i}`, 1, NOW - 60]));
    const { status, body } = await f.get(`/render?target=c.many.*&${range}`);
    expect(status).toBe(400);
    expect(body.code).toBe("TORUS_ERR_GRAPHITE_TOO_MANY_SERIES");
    expect(body.error).toMatch(/"c.many.\*" and the paths before it match \d+ or more names, more than the configured maximum of 20 per request \(RENDER_MAX_SERIES\)/);
    // 11 + 6 + 3 names: exactly the bound passes; one more name in another target does not. MAX_STATS (100) is not involved.
    const twenty = `target=c.many.n1*&target=c.many.n2*&target=c.many.n[345]&${range}`;
    const ok = await f.get(`/render?${twenty}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveLength(20);
    const over = await f.get(`/render?${twenty}&target=c.a`);
    expect(over.status).toBe(400);
    expect(over.body.code).toBe("TORUS_ERR_GRAPHITE_TOO_MANY_SERIES");
    expect(over.body.error).toMatch(/RENDER_MAX_SERIES/);
  });

  it("a 1 MB target is refused before it is parsed", async () => {
    const huge = "a.".repeat(500_000) + "b";
    const started = Date.now();
    const r = await post("/render", `target=${huge}&${range}`);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("TORUS_ERR_GRAPHITE_TARGET_TOO_LONG");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("no target: an empty list", async () => {
    expect((await f.get(`/render?${range}`)).body).toEqual([]);
  });
});

describe("/functions and /version", () => {
  it("/functions is strict JSON keyed by name; grouped and group; one function; 404 for an unknown one", async () => {
    const all = await f.app.inject({ url: "/functions" });
    expect(all.statusCode).toBe(200);
    expect(all.body).not.toMatch(/Infinity|NaN/);
    const list = JSON.parse(all.body);
    expect(list.sumSeries).toMatchObject({ name: "sumSeries", group: "Combine", function: "sumSeries(*seriesLists)" });
    expect(list.aliasSub.params.map((p: any) => p.name)).toEqual(["seriesList", "search", "replace"]);
    const grouped = (await f.get("/functions?grouped=1")).body;
    expect(Object.keys(grouped)).toContain("Combine");
    expect(grouped.Combine.sumSeries.name).toBe("sumSeries");
    const combine = (await f.get("/functions?group=Combine")).body;
    expect(Object.values(combine).every((i: any) => i.group === "Combine")).toBe(true);
    expect((await f.get("/functions/sumSeries")).body.name).toBe("sumSeries");
    const missing = await f.get("/functions/noSuchThing");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/noSuchThing/);
  });

  it("/version is 1.1.10 as text", async () => {
    const r = await f.app.inject({ url: "/version" });
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe("1.1.10");
    expect(r.headers["content-type"]).toMatch(/^text\/html/);
  });
});

describe("URL_PREFIX", () => {
  it("serves the Graphite API under the prefix and leaves /series at the root", async () => {
    const g = await fixture({ URL_PREFIX: "graphite/" }, listing);
    try {
      await g.send([["c.a", 3, NOW - 120]]);
      const r = await g.get(`/graphite/render?target=c.a&${range}`);
      expect(r.status).toBe(200);
      expect(r.body[0].datapoints[2]).toEqual([3, M - 120]);
      expect((await g.get("/graphite/version")).text).toBe("1.1.10");
      const root = await g.get(`/render?target=c.a&${range}`);
      expect(root.status).toBe(404);
      // The 404 lists the paths served, the Graphite ones under the prefix.
      expect(root.body.error).toMatch(/^unknown command "GET \/render" \(have .*[ (]\/graphite\/render[,)]/);
      expect((await g.get(`/series?stat=c.a&start=${NOW - 120}&end=${NOW}`)).status).toBe(200);
    } finally {
      await g.close();
    }
  });
});

describe("/render RENDER_MAX_POINTS: points read and made, summed over the request", () => {
  let g: Fixture;
  beforeAll(async () => {
    // Five points per series over the test range: two reads fit, a third, or a function's new values, do not.
    g = await fixture({ RENDER_MAX_POINTS: 10, MAX_BUCKETS: 1, MAX_STATS: 1 }, listing);
    await g.send([["c.a", 3, NOW - 120], ["c.b", 10, NOW - 60], ["g.x", 5, NOW - 120]]);
  });
  afterAll(() => g.close());

  it("just at the bound passes (MAX_STATS and MAX_BUCKETS, the /series bounds, do not apply)", async () => {
    const { status, body } = await g.get(`/render?target=c.a&target=c.b&${range}`);
    expect(status).toBe(200);
    expect(body.map((s: any) => s.datapoints.length)).toEqual([5, 5]);
    // An alias makes no new values.
    expect((await g.get(`/render?target=alias(c.a,'x')&target=c.b&${range}`)).status).toBe(200);
  });

  it.each([
    ["a third read", `target=c.a&target=c.b&target=g.x`, /reads 15 or more points/],
    ["a read, a read and a function's new values", `target=c.b&target=scale(c.a,2)`, /^scale: this request made 15 or more points/],
    ["summarize to seconds, refused before it allocates", `target=summarize(c.a,'1s')`, /^summarize: argument "intervalString": this request would make \d+ or more points/],
    ["a generator after two reads", `target=c.a&target=c.b&target=sinFunction('s',1,60)`, /^sinFunction: argument "step": this request would make 15 or more points/],
  ])("over the bound is a 400 naming RENDER_MAX_POINTS: %s", async (_label, targets, message) => {
    const { status, body } = await g.get(`/render?${targets}&${range}`);
    expect(status).toBe(400);
    expect(body.code).toBe("TORUS_ERR_GRAPHITE_TOO_MANY_POINTS");
    expect(body.error).toMatch(message);
    expect(body.error).toMatch(/more than the configured maximum of 10 per request \(RENDER_MAX_POINTS\)/);
  });
});
