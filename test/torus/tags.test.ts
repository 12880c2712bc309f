/**
 * Tagged series end to end against real processes: karbon takes Graphite 1.1 tagged lines over TCP
 * (bad tags on the same connection, which stays open, each counted), stores the canonical names and
 * their tag index in SQLite, and a separate torus answers seriesByTag, the tags object, the tag API
 * (Grafana's tag editor sequence, reference §1.3) and its write endpoints from them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, freePort, getJson, sendTcp, spawnCli, type Proc } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "torus-tags-"));
const config = join(dir, "torus.config.mjs");
writeFileSync(
  config,
  `const host = ${JSON.stringify(`sqlite:///${join(dir, "data.db")}`)};
export const SCHEMAS = {
  disk: { type: "gauge", match: "^disk\\\\.used;datacenter=", host, prefix: "t", intervals: { minute: { step: 60, steps: 1440 } } },
};
export const FLUSH_INTERVAL = 50;
export const WRITE_TOKEN = "tag-writer";
`,
);

const now = Math.floor(Date.now() / 1000);
const t = now - (now % 60) - 120;
let karbon: Proc;
let torus: Proc;
let url: string;
let metricsPort: number;

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(name)) sum += Number(line.split(" ").pop());
  return sum;
}

const form = (fields: Array<[string, string]>) => fields.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
async function post(path: string, body: string, token: string | null = "tag-writer"): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${url}${path}`, { method: "POST", headers, body });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", config]);
  const log = await karbon.waitForLog("karbon listening", 20_000);
  const port = log.tcp.port as number;
  metricsPort = log.metrics.port as number;
  const http = await freePort();
  torus = spawnCli("torus-main.ts", ["--tcp", `127.0.0.1:${http}`, "--config", config]);
  await torus.waitForLog("torus listening", 20_000);
  url = `http://127.0.0.1:${http}`;
  await sendTcp(
    port,
    [
      `disk.used;host=web01;datacenter=dc1 42 ${t}`,
      `disk.used;datacenter=;host=bad 1 ${t}`, // an empty value: a bad line, the rest still lands
      `disk.used;host=web02;datacenter=dc1 7 ${t}`,
      `disk.used;datacenter=dc1;host=~web09 1 ${t}`, // a value starting with "~"
      `disk.used;datacenter=dc1;host=web;08 1 ${t}`, // ";" inside a value: a segment without "="
      `disk.used;datacenter=dc1${Array.from({ length: 1000 }, (_, i) => `;tag${i}=v`).join("")} 1 ${t}`, // a thousand tags: longer than a line may be
      `disk.used;datacenter=dc1;host=${"h".repeat(4096)} 1 ${t}`, // a 4 KB value, likewise
      `disk.used;host=web03;datacenter=dc2 9 ${t}`,
      "",
    ].join("\n"),
  );
  await eventually(async () => {
    const { body } = await getJson(`${url}/tags/findSeries?expr=name=disk.used`);
    return Array.isArray(body) && body.length === 3;
  }, 20_000);
  await eventually(async () => (await metric("karbon_bad_lines_total")) >= 5, 10_000);
}, 60_000);

afterAll(async () => {
  await torus?.stop();
  await karbon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("tagged series from a Carbon line to a Grafana-shaped render", () => {
  it("seriesByTag renders the canonical names with their tags", async () => {
    const target = encodeURIComponent("seriesByTag('name=disk.used','datacenter=dc1')");
    const { status, body } = await getJson(`${url}/render?target=${target}&from=${t - 60}&until=${t + 60}&format=json`);
    expect(status).toBe(200);
    expect(body.map((s: any) => s.target)).toEqual(["disk.used;datacenter=dc1;host=web01", "disk.used;datacenter=dc1;host=web02"]);
    expect(body[0].tags).toEqual({ datacenter: "dc1", host: "web01", name: "disk.used" });
    expect(body.map((s: any) => s.datapoints.find((p: any) => p[1] === t)?.[0])).toEqual([42, 7]);
  });

  it("the tag API lists what was stored, never the bad line", async () => {
    expect((await getJson(`${url}/tags/autoComplete/values?tag=host`)).body).toEqual(["web01", "web02", "web03"]);
    expect((await getJson(`${url}/tags/datacenter`)).body.values.map((v: any) => [v.value, v.count])).toEqual([["dc1", 2], ["dc2", 1]]);
  });
});

describe("bad tags on the wire", () => {
  it("each is one counted bad line; nothing else of the connection is lost, nothing is indexed", async () => {
    expect(await metric("karbon_bad_lines_total")).toBe(5);
    expect(await metric('karbon_bad_lines_total{reason="bad_tag"}')).toBe(3);
    expect(await metric('karbon_bad_lines_total{reason="too_long"}')).toBe(2);
    expect((await getJson(`${url}/tags/autoComplete/tags`)).body).toEqual(["datacenter", "host", "name"]);
    for (const expr of ["host=~~", "host=~web0[89]", "host=web", "host=bad"]) {
      expect((await getJson(`${url}/tags/findSeries?expr=${encodeURIComponent(expr)}`)).body, expr).toEqual([]);
    }
  });

  it("malformed expressions are 400s with the reason, never a 500", async () => {
    for (const expr of ["host", "=web01", "host=", "host=~(", "a;b=c"]) {
      const res = await getJson(`${url}/tags/findSeries?expr=${encodeURIComponent(expr)}`);
      expect(res.status, expr).toBe(400);
      expect(JSON.stringify(res.body), expr).toMatch(/expr|tag expression/);
    }
    const render = await fetch(`${url}/render`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form([["target", "seriesByTag('host')"], ["format", "json"]]) });
    expect(render.status).toBe(400);
  });
});

describe("Grafana's tag editor (reference §1.3), step by step", () => {
  const range = `from=${t - 3600}&until=${t + 60}`;
  it("tag keys, then values, then more keys and values under the chosen ones, then the panel query", async () => {
    // Index 0, no expression yet: the keys offered as `tag: <name>`.
    expect((await getJson(`${url}/tags/autoComplete/tags?tagPrefix=&limit=5000&${range}`)).body).toEqual(["datacenter", "host", "name"]);
    expect((await getJson(`${url}/tags/autoComplete/tags?tagPrefix=da&limit=5000&${range}`)).body).toEqual(["datacenter"]);
    // `tag: name` picked (target seriesByTag('name=')): its values.
    expect((await getJson(`${url}/tags/autoComplete/values?tag=name&valuePrefix=&limit=5000`)).body).toEqual(["disk.used"]);
    // name=disk.used chosen: the next key, then its values under the expressions so far (expr repeated).
    expect((await getJson(`${url}/tags/autoComplete/tags?expr=${encodeURIComponent("name=disk.used")}&tagPrefix=&limit=5000`)).body).toEqual(["datacenter", "host"]);
    expect((await getJson(`${url}/tags/autoComplete/values?expr=${encodeURIComponent("name=disk.used")}&tag=datacenter&valuePrefix=&limit=5000`)).body).toEqual(["dc1", "dc2"]);
    const both = `expr=${encodeURIComponent("name=disk.used")}&expr=${encodeURIComponent("datacenter=~dc1")}`;
    expect((await getJson(`${url}/tags/autoComplete/values?${both}&tag=host&valuePrefix=web&limit=5000`)).body).toEqual(["web01", "web02"]);
    expect((await getJson(`${url}/tags/autoComplete/tags?${both}&tagPrefix=&limit=5000`)).body).toEqual(["host"]);
    // The panel query, as Grafana 12 sends it: POST /render, a form body, the target wrapped in aliasSub.
    const target = `aliasSub(seriesByTag('name=disk.used','datacenter=dc1'), "(^.*$)", "\\1 A")`;
    const res = await fetch(`${url}/render`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form([["target", target], ["from", String(t - 3600)], ["until", String(t + 60)], ["format", "json"], ["maxDataPoints", "800"]]),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any[];
    expect(body.map((s) => s.target)).toEqual(["disk.used;datacenter=dc1;host=web01 A", "disk.used;datacenter=dc1;host=web02 A"]);
    expect(body.map((s) => s.datapoints.find((p: any) => p[1] === t)?.[0])).toEqual([42, 7]);
  });
});

describe("the tag write endpoints on a real server", () => {
  it("tagSeries and tagMultiSeries answer canonical paths; the write token is required", async () => {
    expect(await post("/tags/tagSeries", form([["path", "disk.used;host=web09;datacenter=dc3"]]))).toEqual({ status: 200, body: "disk.used;datacenter=dc3;host=web09" });
    expect(await post("/tags/tagMultiSeries", form([["path[]", "b;z=1;a=2"], ["path[]", "a.b"]]))).toEqual({ status: 200, body: ["b;a=2;z=1", "a.b"] });
    expect((await post("/tags/tagSeries", form([["path", "a;k=v"]]), null)).status).toBe(401);
    expect((await post("/tags/tagSeries", form([["path", "a;k="]]))).status).toBe(400);
  });

  it("delSeries deletes the data and the index entries of the series named, and answers true", async () => {
    expect(await post("/tags/delSeries", form([["path", "disk.used;host=web02;datacenter=dc1"]]))).toEqual({ status: 200, body: true });
    expect((await getJson(`${url}/tags/findSeries?expr=name=disk.used`)).body).toEqual(["disk.used;datacenter=dc1;host=web01", "disk.used;datacenter=dc2;host=web03"]);
    expect((await getJson(`${url}/tags/autoComplete/values?tag=host`)).body).toEqual(["web01", "web03"]);
    const target = encodeURIComponent("seriesByTag('name=disk.used','datacenter=dc1')");
    const { body } = await getJson(`${url}/render?target=${target}&from=${t - 60}&until=${t + 60}&format=json`);
    expect(body.map((s: any) => s.target)).toEqual(["disk.used;datacenter=dc1;host=web01"]);
  });
});
