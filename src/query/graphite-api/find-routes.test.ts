/**
 * The find endpoints over a real app and a real SQLite store, checked
 * against a model of graphite-web 1.1.10's find view (test/helpers/find-model.ts).
 */
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileConfig } from "../../config/index.js";
import { buildRuntime, type Runtime } from "../../runtime/runtime.js";
import { StoreRegistry, WriteBatch } from "../../timeseries/index.js";
import { buildQueryApp } from "../query-app.js";
import { findModel, treeModel } from "../../../test/helpers/find-model.js";
import { findRoutes } from "./find-routes.js";
import { StoreNameSource } from "./store-name-source.js";

const NOW = 1_800_000_000;
const NAMES = [
  "servers.web1.cpu.user",
  "servers.web1.cpu.system",
  "servers.web2.cpu.user",
  "servers.web2.cpu.idle",
  "servers.web3.mem",
  "servers.db1.cpu.user",
  "test.a.cpu",
  "test.a.cpu.core0",
  "test.b.cpu",
  "test.c.cpu.core1",
  "top",
  "enc.a%20b+c",
  "disk.used;dc=east",
];

const modelFind = (query: string, leavesOnly = false) => findModel(NAMES, query, leavesOnly);
const modelTree = (query: string, opts: { wildcards?: boolean; leavesOnly?: boolean } = {}) => treeModel(NAMES, query, opts);

let app: FastifyInstance;
let runtime: Runtime;
let names: StoreNameSource;

beforeAll(async () => {
  const config = compileConfig({
    SCHEMAS: { all: { type: "count", match: ".", intervals: { minute: { step: 60, steps: 60 } } } },
    FIND_LIMIT: 1000,
  });
  runtime = await buildRuntime(config, new StoreRegistry());
  const series = runtime.schemas[0].series;
  const batch = new WriteBatch();
  for (const name of NAMES) series.stage(batch, name, 1, NOW, 0, NOW);
  await series.store.write(batch);
  names = new StoreNameSource({ runtime: () => runtime, checkMs: 50 });
  app = buildQueryApp({ runtime: () => runtime, clock: () => NOW, graphite: { names } });
  await names.ready();
});

afterAll(async () => {
  await app.close();
  await names.close();
  for (const s of runtime.schemas) await s.store.close();
});

async function call(method: "GET" | "POST", url: string, body?: string) {
  const res = await app.inject({ method, url, payload: body, headers: body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" } });
  let json: any = null;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = null;
  }
  return { status: res.statusCode, body: json, text: res.body, headers: res.headers };
}

const QUERIES = ["*", "servers.*", "servers.web*.cpu.*", "servers.{web1,db1}.cpu.user", "test.?.cpu", "test.a.*", "test.*.cpu.*", "servers.web[12].*", "servers.web[!1].*", "enc.*", "nothing.*", "top"];

describe("/metrics/find treejson", () => {
  it.each(QUERIES)("GET %s as graphite-web builds it", async (query) => {
    const res = await call("GET", `/metrics/find?query=${encodeURIComponent(query)}`);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.body).toEqual(modelTree(query));
  });

  it.each(QUERIES)("POST body query=%s, not URL-encoded, with wildcards=1 and leavesOnly=1", async (query) => {
    expect((await call("POST", "/metrics/find?from=-1h&until=now", `query=${query}`)).body).toEqual(modelTree(query));
    expect((await call("POST", "/metrics/find", `query=${query}&wildcards=1`)).body).toEqual(modelTree(query, { wildcards: true }));
    expect((await call("POST", "/metrics/find", `query=${query}&leavesOnly=1`)).body).toEqual(modelTree(query, { leavesOnly: true }));
  });

  it("a path that is both a leaf and a branch is the branch; leavesOnly keeps its leaf", async () => {
    const both = (await call("GET", "/metrics/find?query=test.a.*")).body;
    expect(both).toEqual([{ text: "cpu", id: "test.a.cpu", allowChildren: 1, expandable: 1, leaf: 0 }]);
    const leaves = (await call("GET", "/metrics/find?query=test.a.*&leavesOnly=1")).body;
    expect(leaves).toEqual([{ text: "cpu", id: "test.a.cpu", allowChildren: 0, expandable: 0, leaf: 1 }]);
  });

  it("keeps earlier wildcards in ids and dedupes by text", async () => {
    const body = (await call("GET", "/metrics/find?query=servers.web*.cpu.*")).body;
    expect(body.map((e: { id: string }) => e.id)).toEqual(["servers.web*.cpu.idle", "servers.web*.cpu.system", "servers.web*.cpu.user"]);
  });

  it("the body's single value wins over the query string's", async () => {
    expect((await call("POST", "/metrics/find?query=servers.*", "query=test.*")).body).toEqual(modelTree("test.*"));
  });

  it("a form body with a charset, and the trailing-slash paths graphite-web serves", async () => {
    const res = await app.inject({ method: "POST", url: "/metrics/find", payload: "query=servers.{web1,db1}.cpu.*", headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8" } });
    expect(JSON.parse(res.body)).toEqual(modelTree("servers.{web1,db1}.cpu.*"));
    expect((await call("GET", "/metrics/find/?query=servers.*")).body).toEqual(modelTree("servers.*"));
    expect((await call("POST", "/metrics/", "query=servers.*")).body).toEqual(modelTree("servers.*"));
    expect((await call("GET", "/metrics/expand/?query=top")).body).toEqual({ results: ["top"] });
  });

  it("a JSON body (Grafana's backend mode) is read like a form", async () => {
    const res = await app.inject({ method: "POST", url: "/metrics/find?from=-1h", payload: JSON.stringify({ query: "servers.*" }), headers: { "content-type": "application/json" } });
    expect(JSON.parse(res.body)).toEqual(modelTree("servers.*"));
  });

  it("leaves tagged names out", async () => {
    expect((await call("GET", "/metrics/find?query=disk.*")).body).toEqual([]);
  });
});

describe("/metrics/find other formats", () => {
  it("completer: the query gets a trailing *, branch paths end in a dot, is_leaf is a string", async () => {
    const res = await call("GET", "/metrics/find?query=servers.web&format=completer&wildcards=1");
    const expected = modelFind("servers.web*").map((n) => ({ path: n.isLeaf ? n.path : `${n.path}.`, name: n.name, is_leaf: n.isLeaf ? "1" : "0" }));
    expect(res.body).toEqual({ metrics: [...expected, { name: "*" }] });
    // `..` becomes `*.` (Python's str.replace): `test..` is matched as `test*.*`.
    const paths = async (q: string) => (await call("GET", `/metrics/find?query=${q}&format=completer`)).body.metrics.map((m: { path: string }) => m.path);
    expect(await paths("test..")).toEqual(modelFind("test*.*").map((n) => (n.isLeaf ? n.path : `${n.path}.`)));
    expect(await paths("test..")).toEqual(["test.a.", "test.b.", "test.c."]);
    expect(await paths("test..cpu")).toEqual([]);
  });

  it("json: every node sorted by path, leaves with their intervals", async () => {
    const res = await call("GET", "/metrics/find?query=test.*.cpu&format=json");
    const nodes = modelFind("test.*.cpu").sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    // One minute interval of 60 steps: the oldest bucket kept starts 59 minutes before now's bucket.
    const start = NOW - (NOW % 60) - 59 * 60;
    expect(res.body).toEqual(nodes.map((n) => (n.isLeaf ? { path: n.path, is_leaf: true, intervals: [{ start, end: NOW }] } : { path: n.path, is_leaf: false })));
  });

  it("nodelist and jsonp", async () => {
    expect((await call("GET", "/metrics/find?query=servers.*.cpu.*&format=nodelist&position=1")).body).toEqual({ nodes: ["db1", "web1", "web2"] });
    const res = await call("GET", "/metrics/find?query=top&jsonp=cb");
    expect(res.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(res.text).toBe(`cb(${JSON.stringify(modelTree("top"))})`);
  });

  it("/metrics?query= is find; /metrics without query stays the Prometheus metrics; POST /metrics is find", async () => {
    expect((await call("GET", "/metrics?query=servers.*")).body).toEqual(modelTree("servers.*"));
    expect((await call("GET", "/metrics?format=treejson&query=servers.*")).body).toEqual(modelTree("servers.*"));
    expect((await call("POST", "/metrics", "query=test.*")).body).toEqual(modelTree("test.*"));
    const prom = await call("GET", "/metrics");
    expect(prom.status).toBe(200);
    expect(prom.text).toContain("torus_requests_total");
    expect(prom.text).toMatch(/torus_requests_total\{command="find",status="200"\} \d+/);
  });
});

describe("under a URL prefix", () => {
  it("GET <prefix>/metrics is find, with or without the query in the URL", async () => {
    const prefixed = Fastify();
    await prefixed.register(findRoutes, { prefix: "/graphite", runtime: () => runtime, clock: () => NOW, names, points: { read: async () => [] } });
    try {
      expect(JSON.parse((await prefixed.inject("/graphite/metrics?query=servers.*")).body)).toEqual(modelTree("servers.*"));
      expect(JSON.parse((await prefixed.inject("/graphite/metrics/find?query=test.*")).body)).toEqual(modelTree("test.*"));
      expect((await prefixed.inject("/graphite/metrics")).statusCode).not.toBe(404);
    } finally {
      await prefixed.close();
    }
  });
});

describe("/metrics/expand and /metrics/index.json", () => {
  it("expand: the sorted union of full paths, branches included; leavesOnly; groupByExpr", async () => {
    const paths = (q: string, leavesOnly = false) => [...new Set(modelFind(q, leavesOnly).map((n) => n.path))].sort();
    const union = (...lists: string[][]) => [...new Set(lists.flat())].sort();
    expect((await call("GET", "/metrics/expand?query=servers.*&query=test.*.cpu")).body).toEqual({ results: union(paths("servers.*"), paths("test.*.cpu")) });
    expect((await call("GET", "/metrics/expand?query=test.*.cpu&leavesOnly=1")).body).toEqual({ results: paths("test.*.cpu", true) });
    expect((await call("GET", "/metrics/expand?query=servers.*&query=test.*.cpu&groupByExpr=1")).body).toEqual({ results: { "servers.*": paths("servers.*"), "test.*.cpu": paths("test.*.cpu") } });
    expect((await call("GET", "/metrics/expand")).body).toEqual({ results: [] });
    // A query in the URL and another in the body: both count.
    expect((await call("POST", "/metrics/expand?query=top", "query=servers.*")).body).toEqual({ results: union(paths("top"), paths("servers.*")) });
  });

  it("index.json: every leaf, sorted; jsonp", async () => {
    const leaves = NAMES.filter((n) => !n.includes(";")).sort();
    expect((await call("GET", "/metrics/index.json")).body).toEqual(leaves);
    expect((await call("GET", "/metrics/index.json?jsonp=f")).text).toBe(`f(${JSON.stringify(leaves)})`);
  });
});

describe("bad input", () => {
  it.each([
    ["/metrics/find", "TORUS_ERR_QUERY_MISSING_PARAMETER", /query/],
    ["/metrics/find?query=", "TORUS_ERR_QUERY_MISSING_PARAMETER", /empty/],
    ["/metrics/find?query=a&from=yesterdayish", "TORUS_ERR_QUERY_BAD_TIME", /from/],
    ["/metrics/find?query=a&until=12:99", "TORUS_ERR_QUERY_BAD_TIME", /until/],
    ["/metrics/find?query=a&format=pickle", "TORUS_ERR_QUERY_BAD_PARAMETER", /format/],
    ["/metrics/find?query=a&wildcards=yes", "TORUS_ERR_QUERY_BAD_PARAMETER", /wildcards/],
    ["/metrics/find?query=a&jsonp=alert(1)", "TORUS_ERR_QUERY_BAD_PARAMETER", /jsonp/],
    ["/metrics/expand?query=a&groupByExpr=x", "TORUS_ERR_QUERY_BAD_PARAMETER", /groupByExpr/],
    [`/metrics/find?query=${"{a,b}".repeat(40)}`, "TORUS_ERR_QUERY_BAD_PARAMETER", /query/],
  ])("%s: 400 with a code", async (url, code, message) => {
    const res = await call("GET", url);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
    expect(res.body.error).toMatch(message);
  });

  it("from=-1 and a valid from/until are accepted", async () => {
    expect((await call("GET", "/metrics/find?query=top&from=-1&until=-1")).status).toBe(200);
    expect((await call("GET", "/metrics/find?query=top&from=-6h&until=now&tz=Europe/Paris")).status).toBe(200);
    expect((await call("GET", `/metrics/find?query=top&from=${NOW - 3600}&until=${NOW}`)).status).toBe(200);
  });

  it("a huge query is answered, not hung on", async () => {
    const query = Array.from({ length: 50_000 }, (_, i) => `n${i}*`).join(".");
    const started = Date.now();
    const res = await call("POST", "/metrics/find", `query=${query}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
