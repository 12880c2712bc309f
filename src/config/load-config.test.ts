import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "./load-config.js";

// Config files live outside the project, as an operator's would.
const dir = mkdtempSync(join(tmpdir(), "torus-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(ext: string, body: string): string {
  const path = join(dir, `c${n++}.${ext}`);
  writeFileSync(path, body);
  return path;
}

const schemaTs = `
import { defineConfig, long_or_float } from "torus";
export const SCHEMAS = {
  counts: { type: "count", match: "^stats_counts\\\\.", intervals: { minute: { step: 60, steps: 60 } }, write_func: long_or_float },
  timers: { type: "histogram", match: ["^stats\\\\.timers\\\\.", /timer/], intervals: { hour: { step: "1h", resolution: 60 } } },
};
export const AGGREGATES: Array<[string, string]> = [["stats_counts.<app>", "stats_counts.<app>.*"]];
export const DEBUG = 1;
export default defineConfig({ FLUSH_INTERVAL: 250 });
`;

describe("loadConfig", () => {
  it("loads a TypeScript config outside the project that imports defineConfig and long_or_float from torus", async () => {
    const config = await loadConfig([file("ts", schemaTs)]);
    expect(config.schemas.map((s) => s.name)).toEqual(["counts", "timers"]);
    expect(config.schemas[0].matches("stats_counts.app.x")).toBe(true);
    expect(config.schemas[1].matches("x.timer.y")).toBe(true);
    expect(config.aggregates[0].apply("stats_counts.web.hits")).toBe("stats_counts.web");
    expect(config.debug).toBe(1);
    expect(config.flushInterval).toBe(250);
    expect(config.tcpIdleTimeoutMs).toBe(300_000);
    expect(config.tcpDrainTimeoutMs).toBe(5_000);
    expect(config.maxConnections).toBe(1024);
    expect(config.maxPickleFrame).toBe(1_048_576);
    expect(config.schemas[0].options.write_func?.("12")).toBe(12);
    // The timestamp window: a day ahead; behind, none, since "timers" keeps its hours for ever.
    expect(config.maxFuture).toBe(86_400);
    expect(config.maxPast).toBeNull();
  });

  it("reads MAX_FUTURE and MAX_PAST; MAX_PAST defaults to the longest step × steps", async () => {
    const a = await loadConfig([file("mjs", `export const SCHEMAS = { a: { match: "a", intervals: { m: { step: 60, steps: 90 }, h: { step: "1h", steps: 3 } } } };`)]);
    expect([a.maxFuture, a.maxPast]).toEqual([86_400, 10_800]);
    const b = await loadConfig([file("mjs", `export const MAX_FUTURE = 600; export const MAX_PAST = 7200;`)]);
    expect([b.maxFuture, b.maxPast]).toEqual([600, 7200]);
    const c = await loadConfig([file("mjs", `export const SCHEMAS = { a: { match: "a", intervals: { m: { step: 60, steps: 90 } } } }; export const MAX_PAST = null;`)]);
    expect(c.maxPast).toBeNull();
  });

  it("reads the spool settings: off unless SPOOL_DIR is set; a relative SPOOL_DIR is from the working directory", async () => {
    const off = await loadConfig([file("mjs", ``)]);
    expect([off.spoolDir, off.spoolAfterMs, off.spoolMaxBytes]).toEqual([null, 5_000, 1024 * 1024 * 1024]);
    const on = await loadConfig([file("mjs", `export const SPOOL_DIR = "var/spool"; export const SPOOL_AFTER = 0.5; export const SPOOL_MAX_MB = 10;`)]);
    expect([on.spoolDir, on.spoolAfterMs, on.spoolMaxBytes]).toEqual([join(process.cwd(), "var", "spool"), 500, 10 * 1024 * 1024]);
  });

  it("reads URL_PREFIX as one leading slash and no trailing one; none by default", async () => {
    const prefixOf = async (body: string) => (await loadConfig([file("mjs", body)])).urlPrefix;
    expect(await prefixOf(``)).toBe("");
    expect(await prefixOf(`export const URL_PREFIX = "/";`)).toBe("");
    expect(await prefixOf(`export const URL_PREFIX = "graphite";`)).toBe("/graphite");
    expect(await prefixOf(`export const URL_PREFIX = "/tools/graphite/";`)).toBe("/tools/graphite");
  });

  it("reads KARBON_METRICS_URL without a trailing slash; none by default", async () => {
    const urlOf = async (body: string) => (await loadConfig([file("mjs", body)])).karbonMetricsUrl;
    expect(await urlOf(``)).toBeNull();
    expect(await urlOf(`export const KARBON_METRICS_URL = null;`)).toBeNull();
    expect(await urlOf(`export const KARBON_METRICS_URL = "http://127.0.0.1:9108/";`)).toBe("http://127.0.0.1:9108");
    expect(await urlOf(`export const KARBON_METRICS_URL = "https://karbon.example/ops";`)).toBe("https://karbon.example/ops");
  });

  it.each([
    ["mjs", `export const SCHEMAS = { a: { match: "a", intervals: { m: { step: 60 } } } };`],
    ["cjs", `module.exports = { SCHEMAS: { a: { match: "a", intervals: { m: { step: 60 } } } } };`],
    ["js", `export default { SCHEMAS: { a: { match: "a", intervals: { m: { step: 60 } } } } };`],
    ["mts", `const s: string = "a"; export const SCHEMAS = { a: { match: s, intervals: { m: { step: 60 } } } };`],
  ])("loads a .%s module", async (ext, body) => {
    const config = await loadConfig([file(ext, body)]);
    expect(config.schemas.map((s) => s.name)).toEqual(["a"]);
    expect(config.schemas[0].host).toBe("sqlite:///:memory:");
    if (ext === "mjs") {
      const tuned = await loadConfig([file("mjs", `${body}\nexport const TCP_IDLE_TIMEOUT = 0.5; export const MAX_CONNECTIONS = 3; export const TCP_DRAIN_TIMEOUT = 0;`)]);
      expect([tuned.tcpIdleTimeoutMs, tuned.maxConnections, tuned.tcpDrainTimeoutMs]).toEqual([500, 3, 0]);
    }
  });

  it("merges several files in order: schemas by name, aggregates appended, the rest replaced", async () => {
    const a = file("mjs", `export const SCHEMAS = { a: { match: "a", intervals: { m: { step: 60 } } }, b: { match: "b", intervals: { m: { step: 60 } } } };
      export const AGGREGATES = [["x", "x.*"]]; export const DEBUG = 2; export const TRANSFORMS = { one: () => 1 };`);
    const b = file("mjs", `export const SCHEMAS = { b: { type: "gauge", match: "bb", intervals: { h: { step: 3600 } } }, c: { match: "c", intervals: { m: { step: 60 } } } };
      export const AGGREGATES = [["y", "y.*"]]; export const DEBUG = 0; export const TRANSFORMS = { two: () => 2 };`);
    const config = await loadConfig([a, b]);
    expect(config.schemas.map((s) => `${s.name}:${s.type}`)).toEqual(["a:count", "b:gauge", "c:count"]);
    expect(config.aggregates.map((g) => g.rollup)).toEqual(["x", "y"]);
    expect(config.debug).toBe(0);
    expect(Object.keys(config.transforms)).toEqual(["one", "two"]);
  });

  it("reloads an edited file (no module cache)", async () => {
    const path = file("mjs", `export const DEBUG = 1;`);
    expect((await loadConfig([path])).debug).toBe(1);
    writeFileSync(path, `export const DEBUG = 2;`);
    expect((await loadConfig([path])).debug).toBe(2);
  });

  const bad: Array<[string, string, RegExp]> = [
    ["unknown type", `export const SCHEMAS = { s1: { type: "counter", match: "a", intervals: { m: { step: 60 } } } };`, /schema "s1": type: unknown type "counter"/],
    ["bad step", `export const SCHEMAS = { s2: { match: "a", intervals: { hourly: { step: "1x" } } } };`, /schema "s2": interval "hourly": step: cannot parse "1x"/],
    ["bad resolution", `export const SCHEMAS = { s3: { match: "a", intervals: { h: { step: "1h", resolution: 7 } } } };`, /schema "s3": interval "h": resolution 7/],
    ["bad regex", `export const SCHEMAS = { s4: { match: ["ok", "(unclosed"], intervals: { m: { step: 60 } } } };`, /schema "s4": match\[1\]: "\(unclosed" is not a valid regular expression/],
    ["mongo", `export const SCHEMAS = { s5: { host: "mongodb://localhost/x", match: "a", intervals: { m: { step: 60 } } } };`, /schema "s5": host: mongodb:\/\/ storage is not supported in this version/],
    ["cassandra", `export const SCHEMAS = { s6: { host: "cassandra://h", match: "a", intervals: { m: { step: 60 } } } };`, /not supported in this version/],
    ["unknown scheme", `export const SCHEMAS = { s7: { host: "ftp://h/x", match: "a", intervals: { m: { step: 60 } } } };`, /schema "s7": host: unsupported storage URL/],
    ["not a URL", `export const SCHEMAS = { s8: { host: "localhost", match: "a", intervals: { m: { step: 60 } } } };`, /schema "s8": host: "localhost" is not a storage URL/],
    ["missing match", `export const SCHEMAS = { s9: { intervals: { m: { step: 60 } } } };`, /schema "s9": match/],
    ["no intervals", `export const SCHEMAS = { s10: { match: "a", intervals: {} } };`, /schema "s10": intervals: at least one/],
    ["unknown field", `export const SCHEMAS = { s11: { match: "a", intervals: { m: { step: 60 } }, retention: 5 } };`, /schema "s11".*retention/],
    ["bad aggregate", `export const AGGREGATES = [["x.<b>", "x.<a>"]];`, /AGGREGATES\[0\]: rollup "x.<b>" uses <b>/],
    ["bad DEBUG", `export const DEBUG = 5;`, /DEBUG/],
    ["negative QUERY_CACHE", `export const QUERY_CACHE = -1;`, /QUERY_CACHE/],
    ["fractional QUERY_CACHE", `export const QUERY_CACHE = 2.5;`, /QUERY_CACHE/],
    ["text QUERY_CACHE_MB", `export const QUERY_CACHE_MB = "lots";`, /QUERY_CACHE_MB/],
    ["negative MAX_FUTURE", `export const MAX_FUTURE = -1;`, /MAX_FUTURE/],
    ["fractional MAX_FUTURE", `export const MAX_FUTURE = 1.5;`, /MAX_FUTURE/],
    ["text MAX_PAST", `export const MAX_PAST = "1d";`, /MAX_PAST/],
    ["zero MAX_PAST", `export const MAX_PAST = 0;`, /MAX_PAST/],
    ["negative TCP_IDLE_TIMEOUT", `export const TCP_IDLE_TIMEOUT = -1;`, /TCP_IDLE_TIMEOUT/],
    ["text TCP_IDLE_TIMEOUT", `export const TCP_IDLE_TIMEOUT = "5m";`, /TCP_IDLE_TIMEOUT/],
    ["negative TCP_DRAIN_TIMEOUT", `export const TCP_DRAIN_TIMEOUT = -1;`, /TCP_DRAIN_TIMEOUT/],
    ["text TCP_DRAIN_TIMEOUT", `export const TCP_DRAIN_TIMEOUT = "5s";`, /TCP_DRAIN_TIMEOUT/],
    ["huge TCP_DRAIN_TIMEOUT", `export const TCP_DRAIN_TIMEOUT = 86400;`, /TCP_DRAIN_TIMEOUT/],
    ["zero MAX_CONNECTIONS", `export const MAX_CONNECTIONS = 0;`, /MAX_CONNECTIONS/],
    ["fractional MAX_CONNECTIONS", `export const MAX_CONNECTIONS = 10.5;`, /MAX_CONNECTIONS/],
    ["tiny MAX_PICKLE_FRAME", `export const MAX_PICKLE_FRAME = 10;`, /MAX_PICKLE_FRAME/],
    ["fractional MAX_PICKLE_FRAME", `export const MAX_PICKLE_FRAME = 1000.5;`, /MAX_PICKLE_FRAME/],
    ["empty SPOOL_DIR", `export const SPOOL_DIR = "";`, /SPOOL_DIR/],
    ["numeric SPOOL_DIR", `export const SPOOL_DIR = 5;`, /SPOOL_DIR/],
    ["negative SPOOL_AFTER", `export const SPOOL_AFTER = -1;`, /SPOOL_AFTER/],
    ["text SPOOL_AFTER", `export const SPOOL_AFTER = "5s";`, /SPOOL_AFTER/],
    ["zero SPOOL_MAX_MB", `export const SPOOL_MAX_MB = 0;`, /SPOOL_MAX_MB/],
    ["bad TIMEZONE", `export const TIMEZONE = "Mars/Olympus";`, /TIMEZONE: "Mars\/Olympus" is not an IANA time zone/],
    ["zero MAX_PARAMS", `export const MAX_PARAMS = 0;`, /MAX_PARAMS/],
    ["text QUERY_TIMEOUT", `export const QUERY_TIMEOUT = "5s";`, /QUERY_TIMEOUT/],
    ["zero QUERY_TIMEOUT", `export const QUERY_TIMEOUT = 0;`, /QUERY_TIMEOUT/],
    ["negative HTTP_REQUEST_TIMEOUT", `export const HTTP_REQUEST_TIMEOUT = -1;`, /HTTP_REQUEST_TIMEOUT/],
    ["a week of HTTP_IDLE_TIMEOUT", `export const HTTP_IDLE_TIMEOUT = 604800;`, /HTTP_IDLE_TIMEOUT/],
    ["zero HTTP_KEEP_ALIVE_TIMEOUT", `export const HTTP_KEEP_ALIVE_TIMEOUT = 0;`, /HTTP_KEEP_ALIVE_TIMEOUT/],
    ["fractional HTTP_MAX_CONNECTIONS", `export const HTTP_MAX_CONNECTIONS = 10.5;`, /HTTP_MAX_CONNECTIONS/],
    ["text ALLOW_GET_INSERT", `export const ALLOW_GET_INSERT = "yes";`, /ALLOW_GET_INSERT/],
    ["ALLOWED_ORIGINS as a string", `export const ALLOWED_ORIGINS = "https://a.example";`, /ALLOWED_ORIGINS/],
    ["an ALLOWED_ORIGINS entry with a path", `export const ALLOWED_ORIGINS = ["https://a.example/dash"];`, /ALLOWED_ORIGINS\[0\]: "https:\/\/a.example\/dash" is not an origin/],
    ["an ALLOWED_ORIGINS entry without a scheme", `export const ALLOWED_ORIGINS = ["*", "a.example"];`, /ALLOWED_ORIGINS\[1\]: "a.example" is not an origin/],
    ["TRUST_PROXY as a string", `export const TRUST_PROXY = "yes";`, /TRUST_PROXY/],
    ["a TRUST_PROXY entry that is no address", `export const TRUST_PROXY = ["10.0.0.1", "proxy.local"];`, /TRUST_PROXY\[1\]: "proxy.local" is not an IP address/],
    ["zero LIST_LIMIT", `export const LIST_LIMIT = 0;`, /LIST_LIMIT/],
    ["a URL_PREFIX with a query", `export const URL_PREFIX = "/g?x=1";`, /URL_PREFIX: "\/g\?x=1" is not a URL path/],
    ["a URL_PREFIX that is no string", `export const URL_PREFIX = 1;`, /URL_PREFIX/],
    ["a KARBON_METRICS_URL that is no URL", `export const KARBON_METRICS_URL = "127.0.0.1:9108";`, /KARBON_METRICS_URL: "127.0.0.1:9108" is not a URL/],
    ["a KARBON_METRICS_URL that is not http", `export const KARBON_METRICS_URL = "ftp://karbon.example";`, /KARBON_METRICS_URL: .*http:\/\//],
    ["a KARBON_METRICS_URL with a query", `export const KARBON_METRICS_URL = "http://k:9108/?a=1";`, /KARBON_METRICS_URL/],
    ["syntax error", `export const SCHEMAS = {`, /cannot load/],
    ["throws at load", `throw new Error("boom at load");`, /cannot load: .*boom at load/],
  ];
  it.each(bad)("reports %s with the file, schema and field", async (_label, body, message) => {
    const path = file("mjs", body);
    await expect(loadConfig([path])).rejects.toThrow(message);
    await expect(loadConfig([path])).rejects.toThrow(path);
  });

  it("HTTP and query bounds: defaults, and values in seconds become milliseconds", async () => {
    const defaults = await loadConfig([file("mjs", `export const DEBUG = 0;`)]);
    expect(defaults).toMatchObject({
      maxParams: 1000,
      queryTimeoutMs: 5000,
      http: { requestTimeoutMs: 30_000, idleTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000, maxConnections: 1024 },
      allowGetInsert: false,
      allowedOrigins: [],
      trustProxy: false,
      listLimit: 10_000,
      findLimit: 100_000,
    });
    const set = await loadConfig([
      file(
        "mjs",
        `export default { MAX_PARAMS: 50, QUERY_TIMEOUT: 0.5, HTTP_REQUEST_TIMEOUT: 2, HTTP_IDLE_TIMEOUT: 3, HTTP_KEEP_ALIVE_TIMEOUT: 1.5, HTTP_MAX_CONNECTIONS: 7,
          ALLOW_GET_INSERT: true, ALLOWED_ORIGINS: ["https://Grafana.example.com:8443", "*"], TRUST_PROXY: ["10.0.0.1", "::1"], LIST_LIMIT: 9, FIND_LIMIT: 11 };`,
      ),
    ]);
    expect(set).toMatchObject({
      maxParams: 50,
      queryTimeoutMs: 500,
      http: { requestTimeoutMs: 2000, idleTimeoutMs: 3000, keepAliveTimeoutMs: 1500, maxConnections: 7 },
      allowGetInsert: true,
      allowedOrigins: ["https://grafana.example.com:8443", "*"],
      trustProxy: ["10.0.0.1", "::1"],
      listLimit: 9,
      findLimit: 11,
    });
  });

  it.each([
    ["a missing file", join(dir, "nope.ts"), /no such file/],
    ["a file of another kind", file("json", "{}"), /expected a \.ts, \.mts, \.js, \.mjs or \.cjs module/],
  ])("reports %s", async (_label, path, message) => {
    await expect(loadConfig([path])).rejects.toThrow(message);
  });
});

describe("query bounds and macros are checked at load", () => {
  const schemas = `export const SCHEMAS = { a: { match: "a", intervals: { minute: { step: 60 }, hour: { step: 3600 } } }, b: { match: "b", intervals: { second: { step: 1 } } } };\n`;

  it("defaults: MAX_STATS 100, MAX_RESPONSE_MB 32; both settable", async () => {
    const d = await loadConfig([file("mjs", schemas)]);
    expect([d.maxStats, d.maxResponseBytes, d.maxBuckets]).toEqual([100, 32 * 1024 * 1024, 100_000]);
    const set = await loadConfig([file("mjs", `${schemas}export const MAX_STATS = 7; export const MAX_RESPONSE_MB = 0.5;`)]);
    expect([set.maxStats, set.maxResponseBytes]).toEqual([7, 512 * 1024]);
  });

  it("/render bounds: RENDER_MAX_SERIES 10,000 and RENDER_MAX_POINTS 20,000,000 by default; both settable", async () => {
    const d = await loadConfig([file("mjs", schemas)]);
    expect([d.renderMaxSeries, d.renderMaxPoints]).toEqual([10_000, 20_000_000]);
    const set = await loadConfig([file("mjs", `${schemas}export const RENDER_MAX_SERIES = 500; export const RENDER_MAX_POINTS = 720000;`)]);
    expect([set.renderMaxSeries, set.renderMaxPoints]).toEqual([500, 720_000]);
  });

  it("a macro using every field it may set loads", async () => {
    const body = `${schemas}export const TRANSFORMS = { half: (v) => v / 2 };
      export const MACROS = { all: { transform: ["sum", "half", (v) => v], fetch: () => 1, process_row: (d) => d, condense: true, join_rows: (r) => r[0], collapse: () => 1,
        format: "json", schema: "a", interval: "hour", start: "-1h", end: 1800000000, steps: 5, cache: false }, map: { transform: { total: "sum", h: "half" } } };`;
    const config = await loadConfig([file("mjs", body)]);
    expect(Object.keys(config.macros)).toEqual(["all", "map"]);
  });

  it.each([
    ["MAX_STATS 0", `export const MAX_STATS = 0;`, /MAX_STATS/],
    ["fractional MAX_STATS", `export const MAX_STATS = 2.5;`, /MAX_STATS/],
    ["text MAX_STATS", `export const MAX_STATS = "many";`, /MAX_STATS/],
    ["RENDER_MAX_SERIES 0", `export const RENDER_MAX_SERIES = 0;`, /RENDER_MAX_SERIES/],
    ["fractional RENDER_MAX_POINTS", `export const RENDER_MAX_POINTS = 1.5;`, /RENDER_MAX_POINTS/],
    ["text RENDER_MAX_POINTS", `export const RENDER_MAX_POINTS = "lots";`, /RENDER_MAX_POINTS/],
    ["MAX_RESPONSE_MB 0", `export const MAX_RESPONSE_MB = 0;`, /MAX_RESPONSE_MB/],
    ["negative MAX_RESPONSE_MB", `export const MAX_RESPONSE_MB = -1;`, /MAX_RESPONSE_MB/],
    ["infinite MAX_RESPONSE_MB", `export const MAX_RESPONSE_MB = Infinity;`, /MAX_RESPONSE_MB/],
    ["text MAX_RESPONSE_MB", `export const MAX_RESPONSE_MB = "big";`, /MAX_RESPONSE_MB/],
    ["an unknown macro field", `export const MACROS = { m: { colapse: true } };`, /^.*macro "m": colapse: unknown field \(a macro may set transform, fetch, .*cache\)/],
    ["a macro's format", `export const MACROS = { m: { format: "xml" } };`, /macro "m": format: expected "graphite" or "json", got "xml"/],
    ["a macro's condense", `export const MACROS = { m: { condense: "maybe" } };`, /macro "m": condense: expected true, false or a function, got "maybe"/],
    ["a macro's collapse", `export const MACROS = { m: { collapse: 1 } };`, /macro "m": collapse: expected true, false or a function, got 1/],
    ["a macro's steps", `export const MACROS = { m: { steps: 0 } };`, /macro "m": steps: expected a positive whole number, got 0/],
    ["a macro's fractional steps", `export const MACROS = { m: { steps: 1.5 } };`, /macro "m": steps: expected a positive whole number/],
    ["a macro's start", `export const MACROS = { m: { start: {} } };`, /macro "m": start: expected a time/],
    ["a macro's schema", `export const MACROS = { m: { schema: "c" } };`, /macro "m": schema: unknown schema "c" \(have a, b\)/],
    ["a macro's interval, in no schema", `export const MACROS = { m: { interval: "day" } };`, /macro "m": interval: unknown interval "day" \(a: minute, hour; b: second\)/],
    ["a macro's interval, not in its schema", `export const MACROS = { m: { schema: "b", interval: "hour" } };`, /macro "m": interval: unknown interval "hour" \(b: second\)/],
    ["a macro's transform name", `export const MACROS = { m: { transform: "median" } };`, /macro "m": transform: unknown function "median" \(built-ins: mean/],
    ["a macro's transform list", `export const MACROS = { m: { transform: ["sum", 3] } };`, /macro "m": transform: expected a transform name or a function, got 3/],
  ])("rejects %s", async (_label, body, message) => {
    const path = file("mjs", schemas + body);
    await expect(loadConfig([path])).rejects.toThrow(message);
    await expect(loadConfig([path])).rejects.toThrow(path);
  });
});
