import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOW, fixture, type Fixture } from "../query-fixture.case.js";
import type { Runtime } from "../../runtime/runtime.js";
import { ListingNameSource } from "./listing-name-source.js";

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
