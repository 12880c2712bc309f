/**
 * Tagged series end to end against real processes: karbon takes Graphite 1.1 tagged lines over TCP
 * (one bad tag on the same connection, which stays open), stores the canonical names in SQLite, and a
 * separate torus answers seriesByTag, the tags object and the tag API from them.
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
`,
);

const now = Math.floor(Date.now() / 1000);
const t = now - (now % 60) - 120;
let karbon: Proc;
let torus: Proc;
let url: string;

beforeAll(async () => {
  karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--config", config]);
  const port = (await karbon.waitForLog("karbon listening", 20_000)).tcp.port as number;
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
      `disk.used;host=web03;datacenter=dc2 9 ${t}`,
      "",
    ].join("\n"),
  );
  await eventually(async () => {
    const { body } = await getJson(`${url}/tags/findSeries?expr=name=disk.used`);
    return Array.isArray(body) && body.length === 3;
  }, 20_000);
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
