/**
 * Grafana's Graphite data source against real processes (reference §1): karbon stores points sent
 * over TCP into a SQLite file, a separate torus answers `/render` from it, with the requests Grafana
 * sends — "Save & test", a panel of several targets wrapped in aliasSub with absolute times, the older
 * relative times, maxDataPoints = a panel's width — and the bad input it must survive.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, freePort, getJson, sendTcp, spawnCli, type Proc } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "torus-render-"));
const config = join(dir, "torus.config.mjs");
writeFileSync(
  config,
  `const host = ${JSON.stringify(`sqlite:///${join(dir, "data.db")}`)};
export const SCHEMAS = {
  counts: { type: "count", match: "^stats_counts\\\\.", host, prefix: "c", intervals: { minute: { step: 60, steps: 1440 }, hour: { step: "1h", steps: 720 } } },
  latency: { type: "gauge", match: "^app\\\\.", host, prefix: "g", intervals: { minute: { step: 60, steps: 1440 } } },
};
export const FLUSH_INTERVAL = 50;
export const RENDER_MAX_SERIES = 100;
`,
);

const now = Math.floor(Date.now() / 1000);
/** Ten minutes of points, base…base+540, all in the past. */
const base = now - (now % 60) - 900;
const MINUTES = Array.from({ length: 10 }, (_, k) => base + 60 * k);
const hosts = ["web1", "web2", "web3"];
/** web_i's latency at minute k, and its login count. */
const latency = (i: number, k: number) => 10 * (i + 1) + k;
const logins = (i: number, k: number) => (k % 3 === 0 ? 0 : i + k);

let karbon: Proc;
let torus: Proc;
let base_url: string;

beforeAll(async () => {
  karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", config]);
  const port = (await karbon.waitForLog("karbon listening", 20_000)).tcp.port as number;
  const http = await freePort();
  torus = spawnCli("torus-main.ts", ["--tcp", `127.0.0.1:${http}`, "--config", config]);
  await torus.waitForLog("torus listening", 20_000);
  base_url = `http://127.0.0.1:${http}`;
  const lines: string[] = [];
  hosts.forEach((h, i) =>
    MINUTES.forEach((t, k) => {
      lines.push(`app.${h}.latency ${latency(i, k)} ${t + 7}`);
      if (logins(i, k) > 0) lines.push(`stats_counts.${h}.logins ${logins(i, k)} ${t + 7}`);
    }),
  );
  // Enough names that one glob matches more than RENDER_MAX_SERIES.
  for (let n = 0; n < 150; n++) lines.push(`app.many.n${n} 1 ${base + 7}`);
  await sendTcp(port, `${lines.join("\n")}\n`);
  // Stored and findable through /render itself (a name index may refresh in the background): the last
  // names sent, and the last minute's points.
  const last = MINUTES[MINUTES.length - 1];
  await eventually(async () => {
    const targets = ["app.many.n149", "app.web3.latency", "stats_counts.web3.logins"].map((t) => `target=${t}`).join("&");
    // Points of the last two minutes (no login is sent in minute 9).
    const { status, body } = await getJson(`${base_url}/render?${targets}&from=${last - 61}&until=${last}&format=json`);
    return status === 200 && body.length === 3 && body[1].datapoints[1][0] === latency(2, 9) && body[2].datapoints[0][0] === logins(2, 8);
  }, 20_000);
}, 60_000);

afterAll(async () => {
  await torus?.stop();
  await karbon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function render(body: string, query = ""): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`${base_url}/render${query}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  const text = await res.text();
  let parsed: any = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the assertion on status says so
  }
  return { status: res.status, body: parsed, text };
}

const form = (params: Array<[string, string | number]>) => params.map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join("&");
/** Grafana 12's wrapping of a target with its refId. */
const wrapped = (t: string, refId: string) => `aliasSub(${t}, "(^.*$)", "\\1 ${refId}")`;

describe("Grafana's Graphite data source against karbon + torus", () => {
  it('"Save & test": the wrapped constantLine over the last hour, as a POST form', async () => {
    const from = now - 3600;
    const r = await render(form([["target", wrapped("constantLine(100)", "A")], ["from", from], ["until", now], ["format", "json"], ["maxDataPoints", 300]]));
    expect(r.status).toBe(200);
    const s = Math.floor((now - from) / 2);
    expect(r.text).toBe(`[{"target": "100.0 A", "tags": {"name": "100.0"}, "datapoints": [[100.0, ${from}], [100.0, ${from + s}], [100.0, ${from + 2 * s}]]}]`);
  });

  it("backend-mode health check: the unwrapped constantLine with maxDataPoints=100", async () => {
    const r = await render(form([["target", "constantLine(100)"], ["from", now - 3600], ["until", now], ["format", "json"], ["maxDataPoints", 100]]));
    expect(r.status).toBe(200);
    expect(r.body.map((s: any) => [s.target, s.datapoints.length])).toEqual([["100.0", 3]]);
  });

  it("the editor opening: /functions as strict JSON Grafana can parse, /version as semver", async () => {
    const res = await fetch(`${base_url}/functions`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toMatch(/\bInfinity\b|\bNaN\b/);
    const list = JSON.parse(text);
    expect(list.aliasSub.group).toBe("Alias");
    expect(list.movingAverage.params[1]).toMatchObject({ name: "windowSize", required: true });
    const version = await fetch(`${base_url}/version`);
    expect(await version.text()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("a panel of several targets, Grafana 12 wrapping and absolute from/until, maxDataPoints a panel width", async () => {
    const from = base - 1;
    const until = base + 540;
    const r = await render(
      form([
        ["target", wrapped("app.*.latency", "A")],
        ["target", wrapped("sumSeries(stats_counts.*.logins)", "B")],
        ["target", wrapped("aliasByNode(app.web2.latency,1)", "C")],
        ["from", from],
        ["until", until],
        ["format", "json"],
        ["maxDataPoints", 1183],
      ]),
    );
    expect(r.status).toBe(200);
    expect(r.body.map((x: any) => x.target)).toEqual(["app.web1.latency A", "app.web2.latency A", "app.web3.latency A", "sumSeries(stats_counts.*.logins) B", "web2 C"]);
    for (const x of r.body) expect(x.datapoints.map((p: number[]) => p[1])).toEqual(MINUTES);
    hosts.forEach((h, i) => {
      expect(r.body[i].tags).toEqual({ name: `app.${h}.latency` });
      expect(r.body[i].datapoints.map((p: number[]) => p[0])).toEqual(MINUTES.map((_, k) => latency(i, k)));
    });
    const sums = MINUTES.map((_, k) => {
      const sent = hosts.map((_, i) => logins(i, k)).filter((v) => v > 0);
      return sent.length ? sent.reduce((a, b) => a + b, 0) : null;
    });
    expect(r.body[3].datapoints.map((p: number[]) => p[0])).toEqual(sums);
    expect(r.body[4].datapoints.map((p: number[]) => p[0])).toEqual(MINUTES.map((_, k) => latency(1, k)));
  });

  it("maxDataPoints smaller than the points: counts consolidate by sum, gauges by average", async () => {
    const r = await render(form([["target", "stats_counts.web1.logins"], ["target", "app.web1.latency"], ["from", base - 1], ["until", base + 540], ["format", "json"], ["maxDataPoints", 1]]));
    const total = MINUTES.map((_, k) => logins(0, k)).reduce((a, b) => a + b, 0);
    const mean = MINUTES.map((_, k) => latency(0, k)).reduce((a, b) => a + b, 0) / MINUTES.length;
    expect(r.body).toEqual([
      { target: "stats_counts.web1.logins", tags: { name: "stats_counts.web1.logins" }, datapoints: [[total, base]] },
      { target: "app.web1.latency", tags: { name: "app.web1.latency" }, datapoints: [[mean, base]] },
    ]);
  });

  it("older Grafana: GET with relative from/until and the unwrapped target", async () => {
    // The points are 6 to 15 minutes older than the file's start: an hour back still holds them on a slow run.
    const { status, body } = await getJson(`${base_url}/render?target=${encodeURIComponent("movingAverage(app.web3.latency,2)")}&from=-1h&until=now&format=json&maxDataPoints=1600`);
    expect(status).toBe(200);
    expect(body[0].target).toBe("movingAverage(app.web3.latency,2)");
    const byTime = new Map<number, number | null>(body[0].datapoints.map(([v, t]: [number | null, number]) => [t, v]));
    // Each window: the point and the one before it; the first sent minute has only itself.
    expect(byTime.get(MINUTES[0])).toBe(latency(2, 0));
    for (let k = 1; k < MINUTES.length; k++) expect(byTime.get(MINUTES[k])).toBe((latency(2, k) + latency(2, k - 1)) / 2);
  });

  it("format=csv and raw over real data", async () => {
    const csv = await fetch(`${base_url}/render?target=app.web1.latency&from=${base - 1}&until=${base + 60}&format=csv`);
    const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19).replace("T", " ");
    expect(await csv.text()).toBe(`app.web1.latency,${iso(base)},${latency(0, 0)}.0\r\napp.web1.latency,${iso(base + 60)},${latency(0, 1)}.0\r\n`);
    const raw = await fetch(`${base_url}/render?target=app.web1.latency&from=${base - 1}&until=${base + 60}&format=raw`);
    expect(await raw.text()).toBe(`app.web1.latency,${base},${base + 120},60|${latency(0, 0)}.0,${latency(0, 1)}.0\n`);
  });
});

describe("bad input against the running server: a 400 with {error, code}, never a 500 or a hang", () => {
  const range: Array<[string, string | number]> = [["from", base - 1], ["until", base + 540], ["format", "json"]];
  const cases: Array<[string, Array<[string, string | number]>, string]> = [
    ["unbalanced parentheses", [["target", "sumSeries(app.*.latency"]], "TORUS_ERR_GRAPHITE_BAD_TARGET"],
    ["an unknown function", [["target", wrapped("nosuchFunc(app.web1.latency)", "A")]], "TORUS_ERR_GRAPHITE_UNKNOWN_FUNCTION"],
    ["a wrong argument type", [["target", "movingAverage(app.web1.latency,true)"]], "TORUS_ERR_GRAPHITE_ARG_TYPE"],
    ["a missing argument", [["target", "aliasByNode()"]], "TORUS_ERR_GRAPHITE_ARG_COUNT"],
    ["maxDataPoints=0", [["target", "app.web1.latency"], ["maxDataPoints", 0]], "TORUS_ERR_QUERY_BAD_PARAMETER"],
    ["maxDataPoints=-1", [["target", "app.web1.latency"], ["maxDataPoints", -1]], "TORUS_ERR_QUERY_BAD_PARAMETER"],
    ["maxDataPoints=abc", [["target", "app.web1.latency"], ["maxDataPoints", "abc"]], "TORUS_ERR_QUERY_BAD_PARAMETER"],
    ["a glob matching more names than RENDER_MAX_SERIES", [["target", "sumSeries(app.many.*)"]], "TORUS_ERR_GRAPHITE_TOO_MANY_SERIES"],
    ["a 1 MB target", [["target", `${"app.web1.".repeat(100_000)}latency`]], "TORUS_ERR_GRAPHITE_TARGET_TOO_LONG"],
  ];
  for (const [what, params, code] of cases) {
    it(what, async () => {
      const started = Date.now();
      const r = await render(form([...range, ...params]));
      expect(r.status, r.text.slice(0, 300)).toBe(400);
      expect(r.body.code).toBe(code);
      expect(typeof r.body.error).toBe("string");
      expect(Date.now() - started).toBeLessThan(5000);
    });
  }

  it("a body over the 1 MiB limit: 413 with {error, code}", async () => {
    const r = await render(form([...range, ["target", `sumSeries(${"app.web1.latency,".repeat(60_000)}app.web1.latency)`]]));
    expect(r.status).toBe(413);
    expect(typeof r.body.error).toBe("string");
  });

  it("from after until is answered as the swapped range; an empty range is a 400", async () => {
    const swapped = await render(form([["target", "app.web1.latency"], ["from", base + 540], ["until", base - 1], ["format", "json"]]));
    expect(swapped.status).toBe(200);
    expect(swapped.body[0].datapoints.map((p: number[]) => p[1])).toEqual(MINUTES);
    const empty = await render(form([["target", "app.web1.latency"], ["from", base], ["until", base], ["format", "json"]]));
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe("TORUS_ERR_GRAPHITE_EMPTY_RANGE");
  });

  it("the server still answers after all of it", async () => {
    const { status } = await getJson(`${base_url}/version`);
    expect(status).toBe(200);
  });
});
