/**
 * `/karbon/status` from karbon's real metrics objects: in this process, and
 * through a real metrics port (KARBON_METRICS_URL); a metrics URL nobody
 * listens on is a status that says so, not an error.
 */
import { createServer } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileConfig } from "../../config/index.js";
import { KarbonMetrics } from "../../ingest/karbon-metrics.js";
import { buildMetricsApp, listenMetrics, localMetrics } from "../../ingest/metrics-server.js";
import { buildRuntime } from "../../runtime/runtime.js";
import { StoreRegistry } from "../../timeseries/index.js";
import { buildQueryApp } from "../query-app.js";
import { PointRate, TOP_DEAD_LETTERS } from "./karbon-status.js";
import { parsePrometheusText } from "./prometheus-text.js";

const SCHEMAS = { SCHEMAS: { g: { type: "gauge", match: "^g\\.", prefix: "g", intervals: { m: { step: 60, steps: 10 } } } } };

/** Known counts: 7 points, bad lines by two reasons, 12 dead-letter names (two repeated), two flushes. */
function feed(m: KarbonMetrics): void {
  m.pointsReceived = 7;
  for (let i = 0; i < 3; i++) m.bad("bad_value");
  m.bad("bad_timestamp");
  for (let i = 0; i < 12; i++) m.dead(`nowhere.n${i}`);
  for (let i = 0; i < 4; i++) m.dead("nowhere.often");
  m.dead("nowhere.n3");
  m.watchBuffer("sqlite://:memory:", () => 42);
  m.flushSeconds.observe({ store: "sqlite://:memory:" }, 0.004);
  m.flushSeconds.observe({ store: "sqlite://:memory:" }, 0.02);
}

async function appWith(extra: Record<string, unknown>, karbon: ReturnType<typeof localMetrics> | null) {
  const runtime = await buildRuntime(compileConfig({ ...SCHEMAS, ...extra }), new StoreRegistry());
  return buildQueryApp({ runtime: () => runtime, karbon: karbon && { name: "in-process", ...karbon } });
}

const statusOf = async (app: Awaited<ReturnType<typeof appWith>>, url = "/karbon/status") => {
  const res = await app.inject({ method: "GET", url });
  expect(res.statusCode).toBe(200);
  return JSON.parse(res.body);
};

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const remote = new KarbonMetrics();
const metricsApp = buildMetricsApp(localMetrics(remote));
let remoteUrl = "";
beforeAll(async () => {
  feed(remote);
  remoteUrl = `http://127.0.0.1:${(await listenMetrics(metricsApp, "127.0.0.1", 0)).port}/`;
});
afterAll(() => metricsApp.close());

describe("GET /karbon/status", () => {
  it.each(["in-process", "remote"])("reads points, bad lines by reason, buffer depth, flush latency and the top dead letters (%s)", async (kind) => {
    const local = new KarbonMetrics();
    feed(local);
    const app = kind === "remote" ? await appWith({ KARBON_METRICS_URL: remoteUrl }, localMetrics(new KarbonMetrics())) : await appWith({}, localMetrics(local));
    const s = await statusOf(app);
    expect(s.available).toBe(true);
    expect(s.source).toBe(kind === "remote" ? remoteUrl.slice(0, -1) : "in-process");
    expect(s.points).toEqual({ total: 7, perSecond: null });
    expect(s.badLines).toEqual({ total: 4, byReason: { bad_value: 3, bad_timestamp: 1 } });
    expect(s.buffer).toEqual({ "sqlite://:memory:": 42 });
    expect(s.flush["sqlite://:memory:"]).toEqual({ count: 2, meanMs: 12, p99Ms: 25, failures: 0 });
    expect(s.deadLetters.total).toBe(17);
    expect(s.deadLetters.top).toHaveLength(TOP_DEAD_LETTERS);
    expect(s.deadLetters.top.slice(0, 3)).toEqual([
      { name: "nowhere.often", count: 4 },
      { name: "nowhere.n3", count: 2 },
      { name: "nowhere.n0", count: 1 },
    ]);
    await app.close();
  });

  it("says why when there is no karbon to read, or its metrics port does not answer", async () => {
    const none = await appWith({}, null);
    const s = await statusOf(none);
    expect(s.available).toBe(false);
    expect(s.message).toMatch(/KARBON_METRICS_URL/);
    await none.close();
    const url = `http://127.0.0.1:${await closedPort()}`;
    const gone = await appWith({ KARBON_METRICS_URL: url }, null);
    const g = await statusOf(gone);
    expect(g).toMatchObject({ available: false, source: url });
    expect(g.message).toContain(`cannot read karbon's metrics at ${url}`);
    await gone.close();
  });

  it("moves under URL_PREFIX beside the page", async () => {
    const app = await appWith({ URL_PREFIX: "/graphite" }, localMetrics(new KarbonMetrics()));
    expect((await statusOf(app, "/graphite/karbon/status")).available).toBe(true);
    expect((await app.inject({ method: "GET", url: "/karbon/status" })).statusCode).toBe(404);
    await app.close();
  });
});

describe("PointRate", () => {
  it("is null until readings a second apart, then the rate over them; a counter reset starts over", () => {
    const r = new PointRate(60_000);
    expect(r.add(0, 100)).toBeNull();
    expect(r.add(500, 150)).toBeNull();
    expect(r.add(2000, 300)).toBe(100);
    expect(r.add(62_000, 6300)).toBe(100);
    expect(r.add(63_000, 5)).toBeNull();
  });
});

describe("parsePrometheusText", () => {
  it.each([
    ["a plain sample", "a_total 3", [{ name: "a_total", labels: {}, value: 3 }]],
    ["labels with escapes", 'b{x="1",y="q\\"uote"} 2.5', [{ name: "b", labels: { x: "1", y: 'q"uote' }, value: 2.5 }]],
    ["a timestamp", "c 1 1700000000", [{ name: "c", labels: {}, value: 1 }]],
    ["+Inf", 'h_bucket{le="+Inf"} +Inf', [{ name: "h_bucket", labels: { le: "+Inf" }, value: Infinity }]],
    ["comments and blank lines", "# HELP a x\n\n# TYPE a counter\na 1", [{ name: "a", labels: {}, value: 1 }]],
  ])("reads %s", (_label, text, expected) => expect(parsePrometheusText(text)).toEqual(expected));

  it.each([
    ["no value", "a"],
    ["a value that is no number", "a x"],
    ["an unclosed label", 'a{x="1} 2'],
    ["a name starting with a digit", "1a 2"],
  ])("skips %s", (_label, text) => expect(parsePrometheusText(text)).toEqual([]));

  it("never throws, and reads back what prom-client writes", async () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => void parsePrometheusText(text)));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.nat(1e6)), { maxLength: 8 }), async (rows) => {
        const m = new KarbonMetrics();
        const expected = new Map<string, number>();
        for (const [reason, n] of rows) {
          m.badLines.set(reason, (m.badLines.get(reason) ?? 0) + n);
          expected.set(reason, (expected.get(reason) ?? 0) + n);
        }
        const got = new Map(parsePrometheusText(await m.registry.metrics()).filter((s) => s.name === "karbon_bad_lines_total").map((s) => [s.labels.reason, s.value]));
        for (const [reason, n] of expected) if (n > 0) expect(got.get(reason)).toBe(n);
      }),
      { numRuns: 30 },
    );
  });
});
