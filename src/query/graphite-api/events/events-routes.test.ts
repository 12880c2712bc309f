import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileConfig } from "../../../config/index.js";
import { buildRuntime } from "../../../runtime/runtime.js";
import { StoreRegistry } from "../../../timeseries/index.js";
import { NOW, fixture, type Fixture } from "../../query-fixture.case.js";
import { buildQueryApp } from "../../query-app.js";
import { EVENT_BODY_LIMIT } from "./events-routes.js";

const TOKEN = "s3cret";
const auth = { authorization: `Bearer ${TOKEN}` };

let f: Fixture;
beforeAll(async () => {
  f = await fixture({ WRITE_TOKEN: TOKEN });
});
afterAll(() => f.close());

const post = (payload: string | Buffer, headers: Record<string, string> = { "content-type": "application/json", ...auth }, url = "/events/") => f.app.inject({ method: "POST", url, payload, headers });
const get = async (url: string) => {
  const res = await f.app.inject({ method: "GET", url });
  return { status: res.statusCode, type: String(res.headers["content-type"]), text: res.body, body: res.body.startsWith("[") || res.body.startsWith("{") ? JSON.parse(res.body) : null };
};
const all = async () => (await get(`/events/get_data?from=0&until=${NOW + 86_400}`)).body as Array<{ id: number; what: string; tags: string[] }>;
const remove = (id: number | string, headers: Record<string, string> = auth) => f.app.inject({ method: "DELETE", url: `/events/${id}`, headers });

async function add(event: Record<string, unknown>, headers?: Record<string, string>): Promise<number> {
  const res = await post(JSON.stringify(event), headers);
  expect(res.statusCode, res.body).toBe(200);
  return JSON.parse(res.body).id as number;
}

describe("POST /events/ → GET /events/get_data → DELETE /events/<id>", () => {
  it("round trip in graphite-web's shape: when in whole seconds, tags a list, ids given by the store", async () => {
    const id = await add({ what: "deploy web", tags: ["prod", "web"], when: NOW - 60.75, data: "v1.2" });
    const { status, type, body } = await get(`/events/get_data?from=${NOW - 3600}&until=${NOW}`);
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(body).toEqual([{ when: NOW - 61, what: "deploy web", data: "v1.2", tags: ["prod", "web"], id }]);
    // graphite-web's key order.
    expect(Object.keys(body[0])).toEqual(["when", "what", "data", "tags", "id"]);
    expect((await get(`/events/${id}`)).body).toEqual({ id, when: new Date((NOW - 60.75) * 1000).toISOString(), what: "deploy web", data: "v1.2", tags: ["prod", "web"] });
    const res = await remove(id);
    expect(res.statusCode, res.body).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ id, deleted: true });
    expect((await all()).map((e) => e.id)).not.toContain(id);
  });

  it("takes the body as JSON whatever its content type (curl -d sends a form type), and no when means now", async () => {
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "application/octet-stream"]) {
      const res = await post(JSON.stringify({ what: `typed ${type}`, tags: "a b" }), { "content-type": type, ...auth });
      expect(res.statusCode, `${type}: ${res.body}`).toBe(200);
    }
    const { body } = await get(`/events/get_data?from=${NOW}&until=${NOW}&tags=a`);
    expect(body.map((e: any) => [e.what, e.when, e.tags])).toEqual([
      ["typed application/x-www-form-urlencoded", NOW, ["a", "b"]],
      ["typed text/plain", NOW, ["a", "b"]],
      ["typed application/octet-stream", NOW, ["a", "b"]],
    ]);
  });

  it("tags: a list, a space- or comma-separated string; get_data matches all of them, set=union any", async () => {
    const base = NOW - 7200;
    const ids = [
      await add({ what: "t1", tags: ["x", "y"], when: base }),
      await add({ what: "t2", tags: "y z", when: base + 1 }),
      await add({ what: "t3", tags: "z, two words", when: base + 2 }),
      await add({ what: "t4", when: base + 3 }),
    ];
    const q = async (tags: string, extra = "") => (await get(`/events/get_data?from=${base}&until=${base + 3}&tags=${encodeURIComponent(tags)}${extra}`)).body.map((e: any) => e.what);
    expect((await get(`/events/get_data?from=${base}&until=${base + 3}`)).body.map((e: any) => e.tags)).toEqual([["x", "y"], ["y", "z"], ["two words", "z"], []]);
    expect(await q("y")).toEqual(["t1", "t2"]);
    expect(await q("y z")).toEqual(["t2"]);
    expect(await q("y  z")).toEqual(["t2"]);
    expect(await q("y z", "&set=intersection")).toEqual(["t2"]);
    expect(await q("x z", "&set=union")).toEqual(["t1", "t2", "t3"]);
    expect(await q("nosuch")).toEqual([]);
    expect(await q("")).toEqual([]);
    for (const id of ids) expect((await remove(id)).statusCode).toBe(200);
  });

  it("from/until in Graphite time formats (Grafana sends -6h / now, or epoch seconds); from defaults to the epoch, until to now", async () => {
    const old = await add({ what: "ten hours ago", when: NOW - 36_000 });
    const recent = await add({ what: "an hour ago", when: NOW - 3600 });
    const future = await add({ what: "tomorrow", when: NOW + 86_000 });
    const whats = async (qs: string) => (await get(`/events/get_data?${qs}`)).body.map((e: any) => e.what).filter((w: string) => ["ten hours ago", "an hour ago", "tomorrow"].includes(w));
    expect(await whats("from=-6h&until=now")).toEqual(["an hour ago"]);
    expect(await whats("from=-12h&until=now")).toEqual(["ten hours ago", "an hour ago"]);
    expect(await whats(`from=${NOW - 4000}&until=${NOW + 86_400}`)).toEqual(["an hour ago", "tomorrow"]);
    expect(await whats("")).toEqual(["ten hours ago", "an hour ago"]);
    expect(await whats("from=now-1d&until=now%2B2d")).toEqual(["ten hours ago", "an hour ago", "tomorrow"]);
    expect(await whats(`from=${NOW}&until=${NOW - 86_400}`)).toEqual([]);
    for (const id of [old, recent, future]) await remove(id);
  });

  it("jsonp wraps the answer as graphite-web does; a callback that is not a name is refused", async () => {
    const id = await add({ what: "wrapped", when: NOW - 5 });
    const res = await get(`/events/get_data?from=${NOW - 5}&until=${NOW - 5}&jsonp=cb.done`);
    expect(res.type).toMatch(/^text\/javascript/);
    expect(res.text).toBe(`cb.done([{"when":${NOW - 5},"what":"wrapped","data":"","tags":[],"id":${id}}])`);
    expect((await get("/events/get_data?jsonp=alert(1)")).status).toBe(400);
    // Parameters come from the query string alone: a body sent with the GET changes nothing.
    const withBody = await f.app.inject({ method: "GET", url: `/events/get_data?from=${NOW - 5}&until=${NOW - 5}`, payload: "from=0&x=".repeat(2000), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(withBody.statusCode, withBody.body).toBe(200);
    expect(JSON.parse(withBody.body).map((e: any) => e.id)).toEqual([id]);
    await remove(id);
  });

  it("is served under URL_PREFIX with the rest of the Graphite API, and get_dat answers like get_data", async () => {
    const id = await add({ what: "plain", when: NOW - 9 });
    expect((await get(`/events/get_dat?from=${NOW - 9}&until=${NOW - 9}`)).body.map((e: any) => e.id)).toEqual([id]);
    const p = await fixture({ URL_PREFIX: "/graphite" });
    try {
      const res = await p.app.inject({ method: "POST", url: "/graphite/events/", payload: '{"what":"prefixed"}' });
      expect(res.statusCode, res.body).toBe(200);
      const got = await p.app.inject({ method: "GET", url: `/graphite/events/get_data?from=${NOW}&until=${NOW}` });
      expect(JSON.parse(got.body).map((e: any) => e.what)).toEqual(["prefixed"]);
      expect((await p.app.inject({ method: "GET", url: "/events/get_data" })).statusCode).toBe(404);
    } finally {
      await p.close();
    }
    await remove(id);
  });
});

describe("bad input: clear 4xx, nothing stored, never a 500", () => {
  const BAD: Array<[string, string | Buffer, number, string, RegExp]> = [
    ["no what", '{"tags": ["a"]}', 400, "TORUS_ERR_QUERY_BAD_EVENT", /"what" is required/],
    ["what null", '{"what": null}', 400, "TORUS_ERR_QUERY_BAD_EVENT", /"what" is required/],
    ["empty what", '{"what": "  "}', 400, "TORUS_ERR_QUERY_BAD_EVENT", /"what" is empty/],
    ["what a number", '{"what": 42}', 400, "TORUS_ERR_QUERY_BAD_EVENT", /"what" must be a string, got 42/],
    ["what too long", JSON.stringify({ what: "w".repeat(256) }), 400, "TORUS_ERR_QUERY_BAD_EVENT", /256 characters, more than 255/],
    ["non-numeric when", '{"what": "x", "when": "yesterday"}', 400, "TORUS_ERR_QUERY_BAD_EVENT", /"when" must be Unix seconds.*"yesterday"/],
    ["boolean when", '{"what": "x", "when": true}', 400, "TORUS_ERR_QUERY_BAD_EVENT", /"when" must be Unix seconds/],
    ["when out of range", '{"what": "x", "when": 1e300}', 400, "TORUS_ERR_QUERY_BAD_EVENT", /out of range/],
    ["tags an object", '{"what": "x", "tags": {"a": 1}}', 400, "TORUS_ERR_QUERY_BAD_EVENT", /"tags" must be an array or space-separated string/],
    ["tags listing a number", '{"what": "x", "tags": ["a", 1]}', 400, "TORUS_ERR_QUERY_BAD_EVENT", /"tags" must list strings, got 1/],
    ["a tag too long", JSON.stringify({ what: "x", tags: ["t".repeat(51)] }), 400, "TORUS_ERR_QUERY_BAD_EVENT", /more than 50/],
    ["a NUL in data", '{"what": "x", "data": "a\\u0000b"}', 400, "TORUS_ERR_QUERY_BAD_EVENT", /NUL/],
    ["bad JSON", '{"what": "x",', 400, "TORUS_ERR_QUERY_BAD_EVENT", /the body is not JSON/],
    ["a JSON list", '[{"what": "x"}]', 400, "TORUS_ERR_QUERY_BAD_EVENT", /must be a JSON object/],
    ["empty body", "", 400, "TORUS_ERR_QUERY_BAD_EVENT", /the body is empty/],
    ["not UTF-8", Buffer.from([0x7b, 0xff, 0x7d]), 400, "TORUS_ERR_QUERY_BAD_EVENT", /not UTF-8/],
    ["a huge body", JSON.stringify({ what: "x", data: "d".repeat(EVENT_BODY_LIMIT) }), 413, "TORUS_ERR_QUERY_BODY_TOO_LARGE", /over 1048576 bytes/],
  ];
  it.each(BAD)("%s → %i", async (_name, payload, status, code, message) => {
    const before = (await all()).length;
    const res = await post(payload);
    expect(res.statusCode, res.body).toBe(status);
    const body = JSON.parse(res.body);
    expect(body.code).toBe(code);
    expect(body.error).toMatch(message);
    expect((await all()).length).toBe(before);
  });

  it("writes need the WRITE_TOKEN; a page of another origin may not post", async () => {
    const before = (await all()).length;
    const res = await post('{"what": "x"}', { "content-type": "application/json" });
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body).code).toBe("TORUS_ERR_QUERY_UNAUTHORIZED");
    const cross = await post('{"what": "x"}', { "content-type": "application/json", origin: "https://evil.example", ...auth });
    expect(cross.statusCode).toBe(403);
    const id = await add({ what: "guarded", when: NOW - 1 });
    expect((await remove(id, {})).statusCode).toBe(401);
    expect((await all()).length).toBe(before + 1);
    await remove(id);
  });

  it.each([
    ["bad from", "/events/get_data?from=yesterdayish", 400, "TORUS_ERR_QUERY_BAD_TIME", /from/],
    ["bad until", "/events/get_data?until=-3q", 400, "TORUS_ERR_QUERY_BAD_TIME", /until/],
    ["unknown id", "/events/987654", 404, "TORUS_ERR_QUERY_UNKNOWN_EVENT", /no event with id 987654/],
    ["an id that is not a number", "/events/abc", 400, "TORUS_ERR_QUERY_BAD_PARAMETER", /whole number/],
  ])("GET %s → %i", async (_name, url, status, code, message) => {
    const res = await get(url);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.error).toMatch(message);
  });

  it("DELETE of an unknown id, or one already deleted, is a 404 naming it", async () => {
    const id = await add({ what: "once" });
    expect((await remove(id)).statusCode).toBe(200);
    for (const target of [id, 55_555_555]) {
      const res = await remove(target);
      expect(res.statusCode).toBe(404);
      expect(JSON.parse(res.body)).toMatchObject({ code: "TORUS_ERR_QUERY_UNKNOWN_EVENT", error: `no event with id ${target} (it was never stored, or was deleted)` });
    }
    expect((await remove("1x")).statusCode).toBe(400);
  });
});

describe("EVENTS", () => {
  it("names the store that keeps events (opened when first asked for); by default the first schema's", async () => {
    const registry = new StoreRegistry();
    try {
      const intervals = { minute: { step: 60, steps: 10 } };
      const a = compileConfig({ SCHEMAS: { s: { match: ".", host: "sqlite:///:memory:", intervals } } });
      expect(a.events).toEqual({ host: "sqlite:///:memory:", explicit: false });
      const runtime = await buildRuntime(a, registry);
      expect(await runtime.events!.log()).toBe((await registry.open("sqlite:///:memory:")).events);
      const b = compileConfig({ SCHEMAS: { s: { match: ".", host: "sqlite:///:memory:", intervals } }, EVENTS: "redis://127.0.0.1:1/0" });
      expect(b.events).toEqual({ host: "redis://127.0.0.1:1/0", explicit: true });
      // Nothing listens on port 1: the runtime builds (karbon never opens the events store), a request would fail.
      const lazy = await buildRuntime(b, registry);
      expect(lazy.events?.host).toBe("redis://127.0.0.1:1/0");
      expect(() => compileConfig({ EVENTS: "mongodb://x/y" })).toThrow(/EVENTS: mongodb:\/\/ storage is not supported/);
      expect(() => compileConfig({ EVENTS: 5 })).toThrow(/EVENTS/);
      expect(compileConfig({}).events).toBeNull();
    } finally {
      await registry.closeAll();
    }
  });

  it("a Carbon relay keeps no events: named by EVENTS it is a configuration error; as the default, /events answer 404 saying so", async () => {
    const registry = new StoreRegistry();
    try {
      const relay = { SCHEMAS: { r: { match: ".", host: "carbon://127.0.0.1:1", intervals: { minute: { step: 60, steps: 10 } } } } };
      expect(() => compileConfig({ ...relay, EVENTS: "carbon+pickle://user:pw@127.0.0.1:1" })).toThrow(/EVENTS: "carbon\+pickle:\/\/user:\*+@127.0.0.1:1" is a Carbon relay, which keeps no events/);
      const runtime = await buildRuntime(compileConfig(relay), registry);
      expect(await runtime.events!.log()).toBeNull();
      const app = buildQueryApp({ runtime: () => runtime, clock: () => NOW });
      try {
        for (const [method, url] of [["GET", "/events/get_data"], ["POST", "/events/"], ["GET", "/events/1"]] as const) {
          const res = await app.inject({ method, url, payload: method === "POST" ? '{"what":"x"}' : undefined });
          expect(res.statusCode, url).toBe(404);
          expect(JSON.parse(res.body)).toMatchObject({ code: "TORUS_ERR_QUERY_NO_EVENTS", error: expect.stringMatching(/set EVENTS/) });
        }
      } finally {
        await app.close();
      }
    } finally {
      await registry.closeAll();
    }
  });
});
