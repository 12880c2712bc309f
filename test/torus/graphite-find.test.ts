/**
 * Grafana's Graphite data source browsing metrics (reference §1.3, §1.4)
 * against a real torus fed by a real karbon over TCP. Expected answers come
 * from the model of graphite-web's find view (test/helpers/find-model.ts)
 * over the names sent.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findModel, treeModel } from "../helpers/find-model.js";
import { eventually, freePort, sendTcp, spawnCli, type Proc } from "./helpers.js";

const NAMES = [
  "servers.web1.cpu.user",
  "servers.web1.cpu.system",
  "servers.web1.mem.free",
  "servers.web2.cpu.user",
  "servers.db1.cpu.user",
  "servers.db1.disk",
  "apps.api.latency",
  "apps.api.latency.p99",
  "apps.worker.jobs",
];
const BIG = 100_000;
const FIND_LIMIT = 50_000;

const procs: Proc[] = [];
let dir: string;
let base: string;
let karbonPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "torus-find-e2e-"));
  const host = `sqlite:///${join(dir, "find.db")}`;
  const config = join(dir, "torus.config.mjs");
  writeFileSync(
    config,
    `export const SCHEMAS = { all: { type: "count", match: ".", host: ${JSON.stringify(host)}, intervals: { minute: { step: 60, steps: 600 } } } };
export const FLUSH_INTERVAL = 50;
export const FIND_LIMIT = ${FIND_LIMIT};
`,
  );
  const karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", config]);
  procs.push(karbon);
  karbonPort = (await karbon.waitForLog("karbon listening", 15_000)).tcp.port as number;
  const http = await freePort();
  const torus = spawnCli("torus-main.ts", ["--tcp", `127.0.0.1:${http}`, "--config", config]);
  procs.push(torus);
  await torus.waitForLog("torus listening", 15_000);
  base = `http://127.0.0.1:${http}`;
  const t = Math.floor(Date.now() / 1000) - 5;
  const big = Array.from({ length: BIG }, (_, i) => `big.n${i} 1 ${t}\n`).join("");
  await sendTcp(karbonPort, NAMES.map((n) => `${n} 1 ${t}\n`).join("") + big);
  await eventually(async () => (await find("GET", "/metrics/find?query=big.*&format=completer")).headers.get("x-torus-truncated") !== null && (await find("GET", "/metrics/find?query=servers.*")).body.length === 3, 30_000, 200);
}, 60_000);

afterAll(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** As Grafana sends it: a form body with the query not URL-encoded, the range in the URL. */
async function find(method: "GET" | "POST", path: string, body?: string): Promise<{ status: number; body: any; headers: Headers; ms: number }> {
  const started = performance.now();
  const res = await fetch(base + path, { method, body, headers: body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" } });
  const text = await res.text();
  let json: any = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: json, headers: res.headers, ms: performance.now() - started };
}

const ALL = () => [...NAMES, ...Array.from({ length: BIG }, (_, i) => `big.n${i}`)];

describe("Grafana's query editor (reference §1.3)", () => {
  it("opens a saved target, then browses every level while typing *<prefix>*", async () => {
    const now = Math.floor(Date.now() / 1000);
    const range = `?from=${now - 3600}&until=${now}`;
    // Opening: the saved target, no range.
    const opened = await find("POST", "/metrics/find", "query=servers.web1.cpu.user");
    expect(opened.body).toEqual(treeModel(NAMES, "servers.web1.cpu.user"));
    expect(opened.body[0].expandable).toBe(0);
    // Segment 0 while typing "se", then each later segment with its prefix.
    const typed = ["*", "*s*", "*se*", "servers.*", "servers.*w*", "servers.*we*", "servers.web1.*", "servers.web1.*c*", "servers.web1.cpu.*", "servers.web1.cpu.*u*", "apps.*.*", "apps.api.*"];
    for (const query of typed) {
      const res = await find("POST", `/metrics/find${range}`, `query=${query}`);
      expect(res.status, query).toBe(200);
      expect(res.body, query).toEqual(treeModel(query.startsWith("*") ? ALL() : NAMES, query));
    }
    // A segment chosen: is it expandable?
    const chosen = await find("POST", "/metrics/find", "query=servers.web1");
    expect(chosen.body).toEqual([{ text: "web1", id: "servers.web1", allowChildren: 1, expandable: 1, leaf: 0 }]);
  });

  it("a name that is both a leaf and a branch is expandable, and is a leaf for leavesOnly", async () => {
    expect((await find("POST", "/metrics/find", "query=apps.api.*")).body).toEqual([{ text: "latency", id: "apps.api.latency", allowChildren: 1, expandable: 1, leaf: 0 }]);
    expect((await find("POST", "/metrics/find", "query=apps.api.*&leavesOnly=1")).body).toEqual([{ text: "latency", id: "apps.api.latency", allowChildren: 0, expandable: 0, leaf: 1 }]);
    expect((await find("GET", "/metrics/expand?query=apps.api.*")).body).toEqual({ results: ["apps.api.latency"] });
  });
});

describe("template variables (reference §1.4)", () => {
  it("expand(servers.*.cpu) and a find query", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expand = await find("GET", `/metrics/expand?query=servers.*.cpu&from=${now - 21600}&until=${now}`);
    expect(expand.body).toEqual({ results: [...new Set(findModel(NAMES, "servers.*.cpu").map((n) => n.path))].sort() });
    const variable = await find("POST", `/metrics/find?from=${now - 21600}&until=${now}`, "query=servers.*");
    expect(variable.body.map((e: { text: string; expandable: number }) => [e.text, e.expandable])).toEqual([["db1", 1], ["web1", 1], ["web2", 1]]);
    // A multi-value variable comes back in glob form.
    expect((await find("POST", "/metrics/find", "query=servers.{web1,db1}.cpu.*")).body).toEqual(treeModel(NAMES, "servers.{web1,db1}.cpu.*"));
  });
});

describe("karbon's new names", () => {
  it("a name karbon stores becomes findable while torus runs, without a restart", async () => {
    const name = `fresh.cpu.n${Date.now()}`;
    await sendTcp(karbonPort, `${name} 1 ${Math.floor(Date.now() / 1000)}\n`);
    // A second or two on an idle machine (README, name index); the window only allows for a loaded one.
    await eventually(async () => (await find("GET", `/metrics/find?query=${name}`)).body.length === 1, 20_000, 50);
  });
});

describe("bad input", () => {
  it("missing query, empty query and a bad from: 400 JSON errors", async () => {
    for (const [method, path, body, code] of [
      ["GET", "/metrics/find", undefined, "TORUS_ERR_QUERY_MISSING_PARAMETER"],
      ["POST", "/metrics/find", "format=treejson", "TORUS_ERR_QUERY_MISSING_PARAMETER"],
      ["POST", "/metrics/find", "query=", "TORUS_ERR_QUERY_MISSING_PARAMETER"],
      ["POST", "/metrics/find?from=notatime", "query=servers.*", "TORUS_ERR_QUERY_BAD_TIME"],
    ] as const) {
      const res = await find(method, path, body);
      expect(res.status, `${method} ${path} ${body}`).toBe(400);
      expect(res.body.code).toBe(code);
      expect(res.body.error).toEqual(expect.any(String));
    }
  });

  it("GET /metrics is still the Prometheus metrics; GET /metrics?query= is find", async () => {
    const prom = await find("GET", "/metrics");
    expect(prom.status).toBe(200);
    expect(prom.body).toMatch(/torus_name_index_names \d+/);
    expect((await find("GET", "/metrics?query=servers.*")).body).toEqual(treeModel(NAMES, "servers.*"));
  });

  it("a huge query is answered promptly", async () => {
    const query = Array.from({ length: 60_000 }, (_, i) => `s${i}*`).join(".");
    const res = await find("POST", "/metrics/find", `query=${query}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(res.ms).toBeLessThan(5000);
  });

  it(`a glob matching ${BIG} names: cut at FIND_LIMIT, marked, and quick`, async () => {
    const res = await find("POST", "/metrics/find", "query=big.*");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-torus-truncated")).toBe(String(FIND_LIMIT));
    expect(res.body).toHaveLength(FIND_LIMIT);
    // The first FIND_LIMIT names in the index's order, then as treejson sorts them.
    const kept = Array.from({ length: BIG }, (_, i) => `n${i}`).sort().slice(0, FIND_LIMIT);
    expect(res.body.map((e: { text: string }) => e.text)).toEqual(kept);
    expect(res.ms).toBeLessThan(3000);
    const expand = await find("GET", "/metrics/expand?query=big.*");
    expect(expand.body.results).toHaveLength(FIND_LIMIT);
    const index = await find("GET", "/metrics/index.json");
    // Every leaf, sorted (names sent by other tests may be there too).
    expect(index.body.length).toBeGreaterThanOrEqual(ALL().length);
    expect(index.body).toEqual([...index.body].sort());
    const listed = new Set<string>(index.body);
    expect(ALL().filter((n) => !listed.has(n))).toEqual([]);
  });
});
