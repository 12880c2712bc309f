import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOW, fixture, type Fixture } from "../query-fixture.case.js";
import type { Runtime } from "../../runtime/runtime.js";
import { ListingNameSource } from "./listing-name-source.case.js";

const listing = (runtime: Runtime) => ({ names: new ListingNameSource(() => runtime) });
const range = `from=${NOW - 300}&until=${NOW}&now=${NOW}`;

let f: Fixture;
beforeAll(async () => {
  f = await fixture({ MAX_STATS: 20 }, listing);
  // Written with tags out of order: stored (and found) canonical.
  await f.send([
    ["g.disk;host=h1;dc=east", 1, NOW - 60],
    ["g.disk;host=h2;dc=east", 2, NOW - 60],
    ["g.disk;host=h3;dc=west", 4, NOW - 60],
    ["g.cpu;dc=east;host=h1", 8, NOW - 60],
    ["g.plain", 16, NOW - 60],
  ]);
});
afterAll(() => f.close());

const last = (s: any) => s.datapoints.map((p: any) => p[0]).filter((v: any) => v !== null);

describe("seriesByTag through /render", () => {
  it("finds the canonical names, with every tag and name in `tags`", async () => {
    const { status, body } = await f.get(`/render?target=${encodeURIComponent("seriesByTag('name=g.disk','dc=east')")}&${range}`);
    expect(status).toBe(200);
    expect(body.map((s: any) => s.target)).toEqual(["g.disk;dc=east;host=h1", "g.disk;dc=east;host=h2"]);
    expect(body[0].tags).toEqual({ dc: "east", host: "h1", name: "g.disk" });
    expect(body.map(last)).toEqual([[1], [2]]);
  });

  it("regexes, negation and absent tags; a glob never sees tagged names", async () => {
    const t = (x: string) => `target=${encodeURIComponent(x)}`;
    const { body } = await f.get(`/render?${t("seriesByTag('name=~g\\.','host!=h1')")}&${t("g.*")}&${range}`);
    expect(body.map((s: any) => s.target)).toEqual(["g.disk;dc=east;host=h2", "g.disk;dc=west;host=h3", "g.plain"]);
  });

  it("aliasByTags, aliasByNode with a tag name, groupByTags", async () => {
    const q = (x: string) => f.get(`/render?target=${encodeURIComponent(x)}&${range}`);
    expect((await q("aliasByTags(seriesByTag('name=g.disk'),'host','dc')")).body.map((s: any) => s.target)).toEqual(["h1.east", "h2.east", "h3.west"]);
    expect((await q("aliasByNode(seriesByTag('name=g.disk','dc=west'),1,'host')")).body.map((s: any) => s.target)).toEqual(["disk.h3"]);
    const grouped = (await q("groupByTags(seriesByTag('name=g.disk'),'sum','dc')")).body;
    expect(grouped.map((s: any) => [s.target, last(s)])).toEqual([["g.disk;dc=east", [3]], ["g.disk;dc=west", [4]]]);
  });

  it("a malformed expression or one requiring nothing is a 400", async () => {
    for (const x of ["seriesByTag('dc')", "seriesByTag('dc=')", "seriesByTag('a=~(')"]) {
      const res = await f.get(`/render?target=${encodeURIComponent(x)}&${range}`);
      expect(res.status).toBe(400);
    }
  });
});

describe("the tag API", () => {
  it("/tags, /tags/<tag>, findSeries and autocomplete in graphite-web's shapes", async () => {
    expect((await f.get("/tags")).body).toEqual([{ id: 1, tag: "dc" }, { id: 2, tag: "host" }, { id: 3, tag: "name" }]);
    expect((await f.get("/tags?filter=^h")).body).toEqual([{ id: 1, tag: "host" }]);
    const dc = (await f.get("/tags/dc")).body;
    expect(dc).toEqual({ id: 1, tag: "dc", values: [{ id: 1, value: "east", count: 3 }, { id: 2, value: "west", count: 1 }] });
    expect((await f.get("/tags/nope")).text).toBe("null");
    expect((await f.get("/tags/findSeries?expr=dc=east&expr=host=h1")).body).toEqual(["g.cpu;dc=east;host=h1", "g.disk;dc=east;host=h1"]);
    expect((await f.get("/tags/autoComplete/tags?tagPrefix=h")).body).toEqual(["host"]);
    expect((await f.get("/tags/autoComplete/tags?expr=name=g.cpu")).body).toEqual(["dc", "host"]);
    expect((await f.get("/tags/autoComplete/values?tag=host&expr=dc=east")).body).toEqual(["h1", "h2"]);
    expect((await f.get("/tags/autoComplete/values?tag=host&valuePrefix=h3")).body).toEqual(["h3"]);
    expect((await f.get("/tags/autoComplete/values?tag=dc&limit=1")).body).toEqual(["east"]);
  });

  it("bad input: a missing tag, a bad expression, a bad limit", async () => {
    const missing = await f.get("/tags/autoComplete/values");
    expect([missing.status, missing.body]).toEqual([400, { error: "no tag specified" }]);
    expect((await f.get("/tags/findSeries?expr=dc")).status).toBe(400);
    expect((await f.get("/tags/findSeries?expr=dc=")).status).toBe(400);
    expect((await f.get("/tags?limit=x")).status).toBe(400);
    expect((await f.get("/tags?filter=(")).status).toBe(400);
  });
});
