/**
 * The /series response cache against real processes: a torus serving a
 * SQLite file while a separate karbon process writes into the same file,
 * plus /insert and DELETE /series on torus itself. Every cached answer must
 * be the fresh one; /metrics shows whether it came from the cache.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, freePort, getJson, reapChildren, sendTcp, spawnCli, type Proc } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "torus-cache-"));
const TOKEN = "cache-t0ken";
const db = join(dir, "counts.db");
const writeConfig = (file: string, extra = "") =>
  writeFileSync(
    file,
    `export default {
  SCHEMAS: { counts: { type: "count", host: ${JSON.stringify(`sqlite:///${db}`)}, match: "^c\\\\.", intervals: { minute: { step: 60, steps: 600 } } } },
  MACROS: { live: { transform: "sum", cache: false } },
  FLUSH_INTERVAL: 50,
  WRITE_TOKEN: ${JSON.stringify(TOKEN)},
  ${extra}
};\n`,
  );
const config = join(dir, "torus.config.ts");
const noCacheConfig = join(dir, "no-cache.config.ts");
writeConfig(config);
writeConfig(noCacheConfig, "QUERY_CACHE: 0,");

// Whole minutes an hour ago: inside retention, and every request names its range.
const T0 = Math.floor(Date.now() / 1000 / 60) * 60 - 3600;
const auth = { authorization: `Bearer ${TOKEN}` };

let torus: Proc;
let karbon: Proc;
let base: string;
let karbonPort: number;
/** What has been written so far, for computing every expectation: stat → bucket → total. */
const written = new Map<string, Map<number, number>>();

function record(stat: string, value: number, ts: number): void {
  const byBucket = written.get(stat) ?? new Map<number, number>();
  const b = ts - (ts % 60);
  byBucket.set(b, (byBucket.get(b) ?? 0) + value);
  written.set(stat, byBucket);
}

/** Graphite datapoints expected for `stat` over `steps` minutes from `start`. */
function expected(stat: string, start: number, steps: number): Array<[number | null, number]> {
  return Array.from({ length: steps }, (_, i) => [written.get(stat)?.get(start + i * 60) ?? null, start + i * 60]);
}

async function karbonSend(lines: Array<[string, number, number]>): Promise<void> {
  for (const [s, v, t] of lines) record(s, v, t);
  await sendTcp(karbonPort, lines.map(([s, v, t]) => `${s} ${v} ${t}\n`).join(""));
}

async function cacheCounts(at = base): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(`${at}/metrics`)).text();
  const read = (name: string) => Number(/^(\S+) (\S+)$/m.exec(text.split("\n").find((l) => l.startsWith(`${name} `)) ?? "")?.[2] ?? Number.NaN);
  return { hits: read("torus_series_cache_hits_total"), misses: read("torus_series_cache_misses_total") };
}

const series = async (path: string, at = base) => {
  const { status, body } = await getJson(`${at}${path}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body as Array<{ datapoints: Array<[number | null, number]> }>;
};

beforeAll(async () => {
  const http = await freePort();
  base = `http://127.0.0.1:${http}`;
  karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--config", config]);
  karbonPort = (await karbon.waitForLog("karbon listening")).tcp.port;
  await karbonSend([["c.web", 3, T0], ["c.web", 4, T0 + 61]]);
  torus = spawnCli("torus-main.ts", ["--config", config, "--tcp", `127.0.0.1:${http}`]);
  await torus.waitForLog("torus listening");
  await eventually(async () => JSON.stringify((await series(`/series?stat=sum(c.web)&start=${T0}&steps=3`))[0].datapoints) === JSON.stringify(expected("c.web", T0, 3)));
}, 60_000);

afterAll(async () => {
  await torus?.stop();
  await karbon?.stop();
  await reapChildren(); // whatever a failing test left running
  rmSync(dir, { recursive: true, force: true });
});

describe("/series response cache", () => {
  it("a repeated request is served from the cache, and an equivalent range spelled differently is the same entry", async () => {
    const path = `/series?stat=sum(c.web)&start=${T0}&steps=5`;
    const first = await series(path);
    const before = await cacheCounts();
    expect((await series(path))[0].datapoints).toEqual(first[0].datapoints);
    // start..end covering the same five buckets: the key is the resolved range, not the URL.
    expect((await series(`/series?stat=sum(c.web)&start=${T0 + 30}&end=${T0 + 4 * 60 + 59}`))[0].datapoints).toEqual(expected("c.web", T0, 5));
    const after = await cacheCounts();
    expect(after.hits - before.hits).toBe(2);
    expect(after.misses - before.misses).toBe(0);
  });

  it("distinct ranges are distinct entries", async () => {
    const before = await cacheCounts();
    const a = await series(`/series?stat=sum(c.web)&start=${T0}&steps=2`);
    const b = await series(`/series?stat=sum(c.web)&start=${T0 + 60}&steps=2`);
    const c = await series(`/series?stat=sum(c.web)&start=${T0}&steps=2&format=json`);
    expect(a[0].datapoints).toEqual(expected("c.web", T0, 2));
    expect(b[0].datapoints).toEqual(expected("c.web", T0 + 60, 2));
    expect(c[0].datapoints).toEqual(Object.fromEntries(expected("c.web", T0, 2).map(([v, t]) => [String(t), v])));
    expect((await series(`/series?stat=sum(c.web)&start=${T0 + 60}&steps=2`))[0].datapoints).toEqual(b[0].datapoints);
    const after = await cacheCounts();
    expect(after.misses - before.misses).toBe(3);
    expect(after.hits - before.hits).toBe(1);
  });

  it("a cached query returns fresh data after a separate karbon process writes into the same file", async () => {
    const path = `/series?stat=sum(c.web)&start=${T0}&steps=4`;
    await series(path);
    expect((await series(path))[0].datapoints).toEqual(expected("c.web", T0, 4));
    await karbonSend([["c.web", 10, T0 + 2 * 60], ["c.web", 0.5, T0]]);
    const want = JSON.stringify(expected("c.web", T0, 4));
    await eventually(async () => JSON.stringify((await series(path))[0].datapoints) === want, 10_000, 20);
    // Once fresh, it is cached again under the new token.
    const before = await cacheCounts();
    expect((await series(path))[0].datapoints).toEqual(expected("c.web", T0, 4));
    expect((await cacheCounts()).hits - before.hits).toBe(1);
  });

  it("fresh right after /insert and after DELETE /series", async () => {
    const path = `/series?stat=sum(c.api)&start=${T0}&steps=3`;
    expect((await series(path))[0].datapoints).toEqual(expected("c.api", T0, 3));
    await series(path);
    const ins = await getJson(`${base}/insert?stat=c.api&value=7&timestamp=${T0 + 60}`, { method: "POST", headers: auth });
    expect(ins.status).toBe(200);
    record("c.api", 7, T0 + 60);
    expect((await series(path))[0].datapoints).toEqual(expected("c.api", T0, 3));
    await series(path);
    const del = await getJson(`${base}/series?stat=c.api`, { method: "DELETE", headers: auth });
    expect(del.body).toEqual({ stat: "c.api", deleted: ["counts"] });
    written.delete("c.api");
    expect((await series(path))[0].datapoints).toEqual(expected("c.api", T0, 3));
  });

  it("a macro with cache: false is never served from the cache", async () => {
    const before = await cacheCounts();
    const path = `/series?stat=live(c.web)&start=${T0}&steps=3`;
    for (let i = 0; i < 3; i++) expect((await series(path))[0].datapoints).toEqual(expected("c.web", T0, 3));
    const after = await cacheCounts();
    expect([after.hits - before.hits, after.misses - before.misses]).toEqual([0, 0]);
  });

  it("with --workers 2, a write through one worker is seen by the other worker's cache", async () => {
    const http = await freePort();
    const other = `http://127.0.0.1:${http}`;
    const proc = spawnCli("torus-main.ts", ["--config", config, "--workers", "2", "--tcp", `127.0.0.1:${http}`]);
    const requestPids = () => proc.output().split("\n").filter((l) => l.includes('"msg":"request"') && l.includes("/series")).map((l) => JSON.parse(l).pid as number);
    // A new connection per request, so the primary hands them to both workers.
    const fresh = async (path: string) => (await getJson(`${other}${path}`, { headers: { connection: "close" } })).body[0].datapoints;
    try {
      await eventually(() => proc.output().split("torus listening").length === 3, 20_000);
      const path = `/series?stat=sum(c.multi)&start=${T0}&steps=3`;
      for (let i = 0; i < 6; i++) expect(await fresh(path)).toEqual(expected("c.multi", T0, 3));
      expect(new Set(requestPids()).size).toBe(2);
      const ins = await getJson(`${other}/insert?stat=c.multi&value=5&timestamp=${T0 + 60}`, { method: "POST", headers: { ...auth, connection: "close" } });
      expect(ins.status).toBe(200);
      record("c.multi", 5, T0 + 60);
      const seen = requestPids().length;
      for (let i = 0; i < 6; i++) expect(await fresh(path)).toEqual(expected("c.multi", T0, 3));
      expect(new Set(requestPids().slice(seen)).size).toBe(2);
    } finally {
      await proc.stop();
    }
  }, 60_000);

  for (const [label, args] of [
    ["--no-cache", ["--config", config, "--no-cache"]],
    ["QUERY_CACHE: 0", ["--config", noCacheConfig]],
  ] as const) {
    it(`${label} turns the cache off: every request reads the store`, async () => {
      const http = await freePort();
      const other = `http://127.0.0.1:${http}`;
      const proc = spawnCli("torus-main.ts", [...args, "--tcp", `127.0.0.1:${http}`]);
      try {
        await proc.waitForLog("torus listening");
        const path = `/series?stat=sum(c.web)&start=${T0}&steps=4`;
        for (let i = 0; i < 3; i++) expect((await series(path, other))[0].datapoints).toEqual(expected("c.web", T0, 4));
        expect(await cacheCounts(other)).toEqual({ hits: 0, misses: 0 });
      } finally {
        await proc.stop();
      }
    });
  }
});
