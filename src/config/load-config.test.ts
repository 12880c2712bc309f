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
    expect(config.maxConnections).toBe(1024);
    expect(config.schemas[0].options.write_func?.("12")).toBe(12);
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
      const tuned = await loadConfig([file("mjs", `${body}\nexport const TCP_IDLE_TIMEOUT = 0.5; export const MAX_CONNECTIONS = 3;`)]);
      expect([tuned.tcpIdleTimeoutMs, tuned.maxConnections]).toEqual([500, 3]);
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
    ["negative TCP_IDLE_TIMEOUT", `export const TCP_IDLE_TIMEOUT = -1;`, /TCP_IDLE_TIMEOUT/],
    ["text TCP_IDLE_TIMEOUT", `export const TCP_IDLE_TIMEOUT = "5m";`, /TCP_IDLE_TIMEOUT/],
    ["zero MAX_CONNECTIONS", `export const MAX_CONNECTIONS = 0;`, /MAX_CONNECTIONS/],
    ["fractional MAX_CONNECTIONS", `export const MAX_CONNECTIONS = 10.5;`, /MAX_CONNECTIONS/],
    ["bad TIMEZONE", `export const TIMEZONE = "Mars/Olympus";`, /TIMEZONE: "Mars\/Olympus" is not an IANA time zone/],
    ["syntax error", `export const SCHEMAS = {`, /cannot load/],
    ["throws at load", `throw new Error("boom at load");`, /cannot load: .*boom at load/],
  ];
  it.each(bad)("reports %s with the file, schema and field", async (_label, body, message) => {
    const path = file("mjs", body);
    await expect(loadConfig([path])).rejects.toThrow(message);
    await expect(loadConfig([path])).rejects.toThrow(path);
  });

  it.each([
    ["a missing file", join(dir, "nope.ts"), /no such file/],
    ["a file of another kind", file("json", "{}"), /expected a \.ts, \.mts, \.js, \.mjs or \.cjs module/],
  ])("reports %s", async (_label, path, message) => {
    await expect(loadConfig([path])).rejects.toThrow(message);
  });
});
