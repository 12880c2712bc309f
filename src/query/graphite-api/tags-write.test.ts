import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileTagQuery } from "../../graphite/tags/tag-expression.js";
import { TagIndex } from "../../graphite/tags/tag-index.js";
import { NameIndex } from "../../graphite/name-index.js";
import type { Runtime } from "../../runtime/runtime.js";
import type { NameSource } from "./graphite-data.js";
import { NOW, fixture, type Fixture } from "../query-fixture.case.js";
import { memorySearch, storedGroups, storedSearch } from "./tag-search.js";

const TOKEN = "s3cret-token";
const auth = { authorization: `Bearer ${TOKEN}` };
const form = { "content-type": "application/x-www-form-urlencoded" };
const range = `from=${NOW - 300}&until=${NOW}&now=${NOW}`;

let f: Fixture;
let runtime: Runtime;
beforeAll(async () => {
  f = await fixture({ WRITE_TOKEN: TOKEN }, (rt) => {
    runtime = rt;
    return undefined;
  });
  const points: Array<[string, number, number]> = [];
  for (let i = 0; i < 30; i++) points.push([`g.disk;host=h${i % 6};dc=${["east", "west", "north"][i % 3]};rack=r${i % 5}`, i, NOW - 60]);
  points.push(["g.cpu;dc=east;host=h1", 99, NOW - 60], ["g.plain", 1, NOW - 60], ["c.req;dc=east", 3, NOW - 60]);
  await f.send(points, auth);
});
afterAll(() => f.close());

const post = async (url: string, body: string, headers: Record<string, string> = auth) => {
  const res = await f.app.inject({ method: "POST", url, payload: body, headers: { ...form, ...headers } });
  return { status: res.statusCode, body: JSON.parse(res.body), headers: res.headers };
};
const enc = (paths: string[], key = "path") => paths.map((p) => `${key}=${encodeURIComponent(p)}`).join("&");

describe("POST /tags/tagSeries and /tags/tagMultiSeries", () => {
  it("answer the canonical path(s), as graphite-web", async () => {
    expect(await post("/tags/tagSeries", enc(["disk.used;host=web01;datacenter=dc1"]))).toMatchObject({ status: 200, body: "disk.used;datacenter=dc1;host=web01" });
    expect(await post(`/tags/tagSeries?${enc(['disk.used{host="web01",dc="x"}'])}`, "")).toMatchObject({ status: 200, body: "disk.used;dc=x;host=web01" });
    const paths = ["b;z=1;a=2", "a.b", "~~c;k=v"];
    const want = ["b;a=2;z=1", "a.b", "c;k=v"];
    expect(await post("/tags/tagMultiSeries", enc(paths))).toMatchObject({ status: 200, body: want });
    expect(await post("/tags/tagMultiSeries", enc(paths, "path[]"))).toMatchObject({ status: 200, body: want });
  });

  it("many tags: canonical when they fit a line; a thousand never do, a clear 400", async () => {
    const segments = Array.from({ length: 600 }, (_, i) => `;${i}=v`);
    const short = `m${[...segments].reverse().join("")}`;
    const res = await post("/tags/tagSeries", enc([short]));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.split(";")).toHaveLength(601);
    expect(res.body).toBe(`m${[...segments].sort().join("")}`); // sorted as `;tag=value` strings, as graphite-web
    const long = `m${Array.from({ length: 1000 }, (_, i) => `;tag${i}=value`).join("")}`;
    expect(await post("/tags/tagSeries", enc([long]))).toMatchObject({ status: 400, body: { error: expect.stringMatching(/longer than the 4096 karbon accepts \(MAX_LINE_LENGTH\)/) } });
    expect((await post("/tags/tagSeries", enc([`m;k=${"v".repeat(4000)}`]))).body).toHaveLength(4000 + 4);
    expect((await post("/tags/tagSeries", enc([`m;k=${"v".repeat(4096)}`]))).status).toBe(400);
  });

  const bad: Array<[string, RegExp]> = [
    ["a;k=", /Value for tag "k" may not be empty/],
    [";k=v", /no metric found/],
    ["a;k=~v", /not allowed to start with "~"/],
    ["a;k!x=v", /Character "!" is not allowed/],
    ["a;k", /invalid segment k/],
    ["a;k=v;", /invalid segment/],
    ['a{b{c="d"}', /expected one/],
    ["a;k=v\u0000", /NUL/],
  ];
  it.each(bad)("%j is a 400 naming the problem", async (path, message) => {
    for (const url of ["/tags/tagSeries", "/tags/tagMultiSeries", "/tags/delSeries"]) {
      const res = await post(url, enc(url.endsWith("tagSeries") ? [path] : ["ok;k=v", path]));
      expect(res.status, url).toBe(400);
      expect(res.body.error ?? res.body.message ?? JSON.stringify(res.body), url).toMatch(message);
    }
  });

  it("no path is graphite-web's 400; GET is a 405; the write token is required", async () => {
    expect(await post("/tags/tagSeries", "")).toMatchObject({ status: 400, body: { error: "no path specified" } });
    expect(await post("/tags/tagMultiSeries", "")).toMatchObject({ status: 400, body: { error: "no paths specified" } });
    expect(await post("/tags/delSeries", "")).toMatchObject({ status: 400, body: { error: "no path specified" } });
    for (const url of ["/tags/tagSeries", "/tags/tagMultiSeries", "/tags/delSeries"]) {
      expect((await f.get(`${url}?path=a;b=c`)).status, url).toBe(405);
      expect((await post(url, enc(["a;b=c"]), {})).status, url).toBe(401);
      expect((await post(url, enc(["a;b=c"]), { authorization: "Bearer wrong" })).status, url).toBe(401);
    }
  });
});

describe("POST /tags/delSeries", () => {
  it("deletes the series' data and index entries, answers true, leaves the rest", async () => {
    const before = (await f.get("/tags/findSeries?expr=name=g.disk&expr=host=h0")).body as string[];
    expect(before).toHaveLength(5);
    const [gone, ...kept] = before;
    // Written as sent (tags out of order): deleted by its canonical name.
    const [metric, ...tags] = gone.split(";");
    const res = await post("/tags/delSeries", enc([[metric, ...tags.reverse()].join(";"), "g.never;k=v"]));
    expect(res).toMatchObject({ status: 200, body: true });
    expect((await f.get("/tags/findSeries?expr=name=g.disk&expr=host=h0")).body).toEqual(kept);
    const target = encodeURIComponent("seriesByTag('name=g.disk','host=h0')");
    expect((await f.get(`/render?target=${target}&${range}&format=json`)).body.map((s: any) => s.target)).toEqual(kept);
    const groups = storedGroups(runtime)!;
    expect(await storedSearch(groups).find(compileTagQuery(["name=g.disk", "host=h0"]))).toEqual(kept);
    const gauges = runtime.schema("gauges")!;
    expect(await gauges.series.list()).not.toContain(gone);
  });
});

describe("the stored index answers as the in-memory one", () => {
  it("find, tags, values and counts agree on random expressions", async () => {
    const stored = storedSearch(storedGroups(runtime)!);
    const idx = new TagIndex();
    for (const s of runtime.schemas) idx.add(await s.series.list(), s.compiled.name);
    const memory = memorySearch(idx);
    for (const tag of ["dc", "host", "rack", "name", "nope"]) {
      // A series kept in two namespaces (c.req: counts and counts_daily) counts once per namespace in the stored index.
      if (tag === "host" || tag === "rack" || tag === "nope") expect(await stored.counts(tag), tag).toEqual(await memory.counts(tag));
      for (const prefix of ["", "h", "h1", "e", "x"]) expect(await stored.values(tag, prefix, 3), `${tag} ${prefix}`).toEqual(await memory.values(tag, prefix, 3));
    }
    for (const prefix of ["", "d", "r", "z"]) expect(await stored.tags(prefix, 2)).toEqual(await memory.tags(prefix, 2));
    const expr = fc.tuple(fc.constantFrom("name", "dc", "host", "rack", "x"), fc.constantFrom("=", "!=", "=~", "!=~"), fc.constantFrom("", "g.disk", "east", "h1", "r", "h[12]", ".*t"));
    await fc.assert(
      fc.asyncProperty(fc.array(expr, { minLength: 1, maxLength: 3 }), async (parts) => {
        let query;
        try {
          query = compileTagQuery(parts.map(([t, o, v]) => `${t}${o}${v}`));
        } catch {
          return;
        }
        expect(await stored.find(query)).toEqual(await memory.find(query));
      }),
      { numRuns: 150 },
    );
  });
});

describe("before the first name listing is done", () => {
  it("the tag API and seriesByTag answer from the stores' tag index; globs wait", async () => {
    // A listing that never finishes (a store of a million names, still being read).
    const stuck: NameSource = { index: () => new NameIndex(), ready: () => new Promise(() => {}), caughtUp: async () => false, close: async () => {} };
    const g = await fixture({}, () => ({ names: stuck }));
    try {
      await g.send([["g.disk;host=h1;dc=east", 1, NOW - 60], ["g.disk;host=h2;dc=west", 2, NOW - 60]]);
      expect((await g.get("/tags/autoComplete/tags")).body).toEqual(["dc", "host", "name"]);
      expect((await g.get("/tags/autoComplete/values?tag=host&valuePrefix=h")).body).toEqual(["h1", "h2"]);
      expect((await g.get("/tags/dc")).body.values.map((v: any) => [v.value, v.count])).toEqual([["east", 1], ["west", 1]]);
      const target = encodeURIComponent("aliasByTags(seriesByTag('name=g.disk','dc=~e'),'host')");
      expect((await g.get(`/render?target=${target}&${range}&format=json`)).body.map((s: any) => s.target)).toEqual(["h1"]);
      const glob = g.get(`/render?target=g.*&${range}&format=json`);
      const waited = await Promise.race([glob.then(() => "answered"), new Promise((r) => setTimeout(() => r("waiting"), 200))]);
      expect(waited).toBe("waiting");
    } finally {
      await g.close().catch(() => {});
    }
  });
});
