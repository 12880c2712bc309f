import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, freePort, getJson, reapChildren, sendTcp, spawnCli, type Proc } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "torus-proc-"));
const TOKEN = "t0ken";
const configBody = (extra = "") => `
import { defineConfig } from "torus";
const db = (f: string) => "sqlite:///" + ${JSON.stringify(dir)} + "/" + f;
const intervals = { minute: { step: 60, steps: 600 }, hour: { step: "1h", steps: 48, resolution: 60 } };
export default defineConfig({
  SCHEMAS: {
    counts: { type: "count", host: db("counts.db"), match: "^c\\\\.", intervals },
    timers: { type: "histogram", host: db("timers.db"), match: "^h\\\\.", intervals },
    lists: { type: "series", host: db("lists.db"), match: "^s\\\\.", intervals },
    gauges: { type: "gauge", host: db("gauges.db"), match: "^g\\\\.", intervals },
    uniques: { type: "set", host: db("sets.db"), match: "^u\\\\.", intervals },
    counts_daily: { type: "count", host: db("counts.db"), prefix: "d", match: "^c\\\\.", intervals: { day: { step: "daily", steps: 30 } } },
    ${extra}
  },
  AGGREGATES: [["c.all", "c.*"]],
  TRANSFORMS: { half: (v: number) => v / 2 },
  MACROS: { hourly: { interval: "hour", transform: "sum" } },
  FLUSH_INTERVAL: 100,
  WRITE_TOKEN: ${JSON.stringify(TOKEN)},
  HTTP_REQUEST_TIMEOUT: 2,
});
`;
const configFile = join(dir, "torus.config.ts");
writeFileSync(configFile, configBody());

// Points are placed on whole minutes before T0 so every read names its range explicitly.
const T0 = Math.floor(Date.now() / 1000 / 3600) * 3600 - 3600 + 30 * 60; // half past, an hour ago: inside retention
const LINES: Array<[string, string, number]> = [
  ["c.web", "3", T0],
  ["c.web", "4", T0 + 1],
  ["c.web", "5", T0 - 60],
  ["c.api", "10", T0],
  ["h.lat", "100", T0],
  ["h.lat", "100", T0 + 2],
  ["h.lat", "250", T0 + 3],
  ["s.seq", "1", T0],
  ["s.seq", "2.5", T0 + 1],
  ["g.temp", "20", T0 + 5],
  ["g.temp", "18", T0 + 9],
  ["g.temp", "30", T0 + 1],
  ["u.ids", "7", T0],
  ["u.ids", "3", T0],
  ["u.ids", "7", T0 + 1],
];
const valuesAt = (stat: string, bucket: number, step = 60) => LINES.filter(([s, , t]) => s === stat && t - (t % step) === bucket).map(([, v]) => Number(v));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

let torus: Proc;
let base: string;
let karbonPort: number;
const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  const http = await freePort();
  karbonPort = await freePort();
  base = `http://127.0.0.1:${http}`;
  torus = spawnCli("torus-main.ts", ["start", "--config", configFile, "--tcp", `127.0.0.1:${http}`, "--karbon", `127.0.0.1:${karbonPort}`]);
  await torus.waitForLog("torus listening");
  await sendTcp(karbonPort, LINES.map(([s, v, t]) => `${s} ${v} ${t}\n`).join(""));
  // Each schema's file is written on its own: wait until every one holds its points.
  await eventually(async () => {
    const { body } = await getJson(`${base}/series?stat=count(u.ids)&stat=c.web&stat=h.lat&stat=s.seq&stat=g.temp&start=${T0}&steps=1`);
    return body.length === 5 && body[0].datapoints[0][0] === 2 && body.every((e: { datapoints: Array<[number | null, number]> }) => e.datapoints[0][0] !== null);
  });
});

afterAll(async () => {
  await torus?.stop();
  await reapChildren(); // whatever a failing test left running
  rmSync(dir, { recursive: true, force: true });
});

const q = (path: string) => getJson(`${base}${path}`);

describe("torus start: data sent through karbon over TCP, read over HTTP", () => {
  it("/series graphite: default mean, one point per bucket, null where empty, oldest first", async () => {
    const { status, body } = await q(`/series?stat=c.web&stat=h.lat&start=${T0 - 120}&end=${T0}`);
    expect(status).toBe(200);
    const buckets = [T0 - 120, T0 - 60, T0];
    expect(body[0]).toEqual({
      stat: "c.web", stat_name: "c.web", target: "c.web", function: "mean", schema: "counts", interval: "minute",
      datapoints: buckets.map((b) => [valuesAt("c.web", b).length ? sum(valuesAt("c.web", b)) : null, b]),
    });
    const lat = valuesAt("h.lat", T0);
    expect(body[1].datapoints).toEqual([[null, T0 - 120], [null, T0 - 60], [sum(lat) / lat.length, T0]]);
  });

  it.each([
    ["min", (vs: number[]) => Math.min(...vs)],
    ["max", (vs: number[]) => Math.max(...vs)],
    ["sum", sum],
    ["count", (vs: number[]) => vs.length],
    ["avg", (vs: number[]) => sum(vs) / vs.length],
    ["rate", (vs: number[]) => vs.length / 60],
    ["half", null],
  ] as const)("built-in and TRANSFORMS functions on a series stat: %s", async (fn, ref) => {
    const { body } = await q(`/series?stat=${fn}(s.seq)&start=${T0}&steps=1`);
    const vs = valuesAt("s.seq", T0);
    if (ref) expect(body[0].datapoints).toEqual([[ref(vs), T0]]);
    else expect(body[0].datapoints).toEqual([[null, T0]]); // half() of an array is NaN → null in JSON
  });

  it("/series json: histogram, set, series, gauge natives; resolutions without condense", async () => {
    const { body } = await q(`/series?stat=h.lat&stat=u.ids&stat=s.seq&stat=g.temp&format=json&start=${T0}&steps=1`);
    const lat = valuesAt("h.lat", T0);
    expect(body[0].datapoints).toEqual({ [T0]: Object.fromEntries([...new Set(lat)].map((v) => [String(v), lat.filter((x) => x === v).length])) });
    expect(body[1].datapoints).toEqual({ [T0]: [...new Set(valuesAt("u.ids", T0))].sort((a, b) => a - b) });
    expect(body[2].datapoints).toEqual({ [T0]: valuesAt("s.seq", T0) });
    const newest = LINES.filter(([s]) => s === "g.temp").sort((a, b) => b[2] - a[2])[0][1];
    expect(body[3].datapoints).toEqual({ [T0]: Number(newest) });
    const hour = T0 - (T0 % 3600);
    const raw = await q(`/series?stat=c.web&format=json&interval=hour&start=${hour}&steps=1`);
    expect(raw.body[0].datapoints).toEqual({ [hour]: { [T0 - 60]: sum(valuesAt("c.web", T0 - 60)), [T0]: sum(valuesAt("c.web", T0)) } });
    const condensed = await q(`/series?stat=c.web&format=json&interval=hour&start=${hour}&steps=1&condense=true`);
    expect(condensed.body[0].datapoints).toEqual({ [hour]: sum(valuesAt("c.web", T0 - 60)) + sum(valuesAt("c.web", T0)) });
  });

  it("joins, aggregates, collapse, schema, macros", async () => {
    const web = sum(LINES.filter(([s]) => s === "c.web").map(([, v]) => Number(v)));
    const api = sum(LINES.filter(([s]) => s === "c.api").map(([, v]) => Number(v)));
    const join = await q(`/series?stat=sum(c.web,c.api)&stat=sum(c.all)&start=${T0 - 60}&end=${T0}&collapse=yes`);
    expect(join.body[0].datapoints).toEqual([[web + api, T0 - 60]]);
    expect(join.body[1].datapoints).toEqual([[web + api, T0 - 60]]);
    const daily = await q(`/series?stat=sum(c.web)&schema=counts_daily&start=${T0}&steps=1`);
    expect(daily.body[0]).toMatchObject({ schema: "counts_daily", interval: "day", datapoints: [[web, T0 - (T0 % 86400)]] });
    const macro = await q(`/series?stat=hourly(c.web)&start=${T0}&steps=1`);
    expect(macro.body[0]).toMatchObject({ interval: "hour", datapoints: [[web, T0 - (T0 % 3600)]] });
  });

  it("start/end as dates, phrases and offsets", async () => {
    const iso = new Date(T0 * 1000).toISOString();
    const byIso = await q(`/series?stat=sum(c.web)&start=${encodeURIComponent(iso)}&steps=1`);
    expect(byIso.body[0].datapoints).toEqual([[sum(valuesAt("c.web", T0)), T0]]);
    const offsets = await q("/series?stat=sum(c.web)&start=-3h&end=now");
    expect(offsets.body[0].datapoints.length).toBeGreaterThanOrEqual(180);
    expect(offsets.body[0].datapoints.find(([, t]: number[]) => t === T0)).toEqual([sum(valuesAt("c.web", T0)), T0]);
    const phrase = await q("/series?stat=sum(c.web)&start=3%20hours%20ago&end=now");
    expect(phrase.body[0].datapoints).toEqual(offsets.body[0].datapoints);
  });

  it("/list, /properties", async () => {
    expect((await q("/list")).body).toEqual([...new Set(LINES.map(([s]) => s)), "c.all"].sort());
    expect((await q("/list?schema=timers")).body).toEqual(["h.lat"]);
    const props = await q("/properties?stat=c.web");
    expect(props.body["c.web"].counts.minute).toEqual({ first: T0 - 60, last: T0 });
    expect(props.body["c.web"].counts_daily.day).toEqual({ first: T0 - (T0 % 86400), last: T0 - (T0 % 86400) });
  });

  it("/insert (POST, the fields in the URL or a body) with the token, routed like karbon; GET is a 405; DELETE /series", async () => {
    const t = T0 - 300;
    const refused = await getJson(`${base}/insert?stat=c.new&value=6&timestamp=${t}`, { headers: auth });
    expect(refused).toMatchObject({ status: 405, body: { code: "TORUS_ERR_QUERY_METHOD_NOT_ALLOWED" } });
    const get = await getJson(`${base}/insert?stat=c.new&value=6&timestamp=${t}`, { method: "POST", headers: auth });
    expect(get).toEqual({ status: 200, body: { stat: "c.new", value: "6", timestamp: t, stored: 4 } });
    const post = await getJson(`${base}/insert`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ stat: "c.new", value: 9, timestamp: t }) });
    expect(post.status).toBe(200);
    expect((await q(`/series?stat=sum(c.new)&start=${t}&steps=1`)).body[0].datapoints).toEqual([[15, t]]);
    expect((await getJson(`${base}/insert?stat=c.new&value=1`, { method: "POST" })).status).toBe(401);
    expect((await getJson(`${base}/series?stat=c.new`, { method: "DELETE" })).status).toBe(401);
    const del = await getJson(`${base}/series?stat=c.new&schema=counts`, { method: "DELETE", headers: auth });
    expect(del.body).toEqual({ stat: "c.new", deleted: ["counts"] });
    expect((await q(`/series?stat=sum(c.new)&start=${t}&steps=1`)).body[0].datapoints).toEqual([[null, t]]);
  });

  it.each([
    ["/series", 400],
    ["/series?stat=c.web&interval=weekly", 400],
    ["/series?stat=c.web&schema=nope", 404],
    ["/series?stat=c.web&start=someday%20maybe", 400],
    ["/series?stat=nosuch(c.web)", 400],
    ["/series?stat=c.web&steps=-1", 400],
    ["/series?stat=c.web&steps=10000000", 400],
    ["a 10 KB stat name", 400],
    ["/list?schema=nope", 404],
    ["/nope", 404],
  ])("%s → %i with a JSON error", async (path, status) => {
    const res = await q(path === "a 10 KB stat name" ? `/series?stat=c.${"x".repeat(10240)}` : path);
    expect(res.status).toBe(status);
    expect(typeof res.body.error).toBe("string");
  });

  it("/metrics counts requests, latency and errors by command", async () => {
    const { status, body } = await q("/metrics");
    expect(status).toBe(200);
    expect(body).toMatch(/torus_requests_total\{command="series",status="200"\} [1-9]/);
    expect(body).toMatch(/torus_request_duration_seconds_bucket\{le="0.005",command="series"\}/);
    expect(body).toMatch(/torus_request_errors_total\{command="series",code="TORUS_ERR_QUERY_BAD_TIME"\} 1/);
  });

  it("a client dripping its body is cut off after HTTP_REQUEST_TIMEOUT while others are served", async () => {
    const port = Number(new URL(base).port);
    const t0 = Date.now();
    const sock = connect(port, "127.0.0.1");
    const closed = new Promise<number>((resolve) => sock.on("close", () => resolve(Date.now() - t0)));
    sock.on("error", () => {});
    sock.write(`POST /insert HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n`);
    const drip = setInterval(() => sock.writable && sock.write("a"), 300);
    try {
      expect((await getJson(`${base}/list?schema=timers`)).status).toBe(200);
      const ms = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 6_000))]);
      expect(ms).toBeGreaterThanOrEqual(1_900);
      expect(ms).toBeLessThan(4_000);
    } finally {
      clearInterval(drip);
      sock.destroy();
    }
  });

  it("logs each request naming the peer, not a forged X-Forwarded-For (TRUST_PROXY is off by default)", async () => {
    await fetch(`${base}/list?who=forged`, { headers: { "x-forwarded-for": "192.0.2.44" } });
    await fetch(`${base}/list?who=direct`);
    await eventually(() => torus.output().includes("who=direct"));
    const lines = torus.output().split("\n").filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l));
    expect(lines.find((l) => l.url === "/list?who=forged").client).toBe("127.0.0.1");
    expect(lines.find((l) => l.url === "/list?who=direct").client).toBe("127.0.0.1");
  });

  it("SIGHUP reloads the configuration (a new schema answers), a broken reload keeps the old one", async () => {
    writeFileSync(configFile, configBody(`extra: { type: "count", host: db("extra.db"), match: "^x\\\\.", intervals },`));
    torus.proc.kill("SIGHUP");
    await eventually(async () => (await q("/list?schema=extra")).status === 200);
    writeFileSync(configFile, "export default {{{ broken");
    torus.proc.kill("SIGHUP");
    await eventually(() => torus.output().includes("reload failed"));
    expect((await q("/list?schema=extra")).status).toBe(200);
    writeFileSync(configFile, configBody());
  });
});

describe("torus web and a separate karbon sharing SQLite files", () => {
  it("reads what karbon stored; SIGTERM stops both cleanly", async () => {
    const http = await freePort();
    const tcp = await freePort();
    const karbon = spawnCli("karbon-main.ts", ["--config", configFile, "--tcp", `127.0.0.1:${tcp}`]);
    const web = spawnCli("torus-main.ts", ["web", "--config", configFile, "--tcp", `127.0.0.1:${http}`]);
    try {
      await Promise.all([karbon.waitForLog("karbon listening"), web.waitForLog("torus listening")]);
      const t = T0 - 600;
      await sendTcp(tcp, `c.sep 2 ${t}\nc.sep 40 ${t + 5}\nh.sep 7 ${t}\nh.sep 7 ${t}\n`);
      const got = await eventually(async () => {
        const { body } = await getJson(`http://127.0.0.1:${http}/series?stat=sum(c.sep)&stat=h.sep&format=json&start=${t}&steps=1`);
        // counts.db and timers.db are written on their own: wait for both.
        return body[0].datapoints[t] === 42 && body[1].datapoints[t] !== null ? body : null;
      });
      expect(got[1].datapoints).toEqual({ [t]: { 7: 2 } });
    } finally {
      expect(await web.stop()).toBe(0);
      expect(await karbon.stop()).toBe(0);
    }
  });

  it("bare `torus` is the query server too", async () => {
    const http = await freePort();
    const bare = spawnCli("torus-main.ts", ["--tcp", String(http), "--config", configFile]);
    try {
      const log = await bare.waitForLog("torus listening");
      expect(log.http.address).toBe("127.0.0.1"); // a bare port binds to localhost
      expect((await getJson(`http://127.0.0.1:${http}/list?schema=counts`)).body).toContain("c.web");
    } finally {
      expect(await bare.stop("SIGINT")).toBe(0);
    }
  });
});
