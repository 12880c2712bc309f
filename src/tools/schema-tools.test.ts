import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileConfig } from "../config/index.js";
import { createLogger } from "../logging/logger.js";
import { SqliteStore } from "../timeseries/backends/sqlite/sqlite-store.js";
import { Timeseries } from "../timeseries/index.js";
import { schemaDebug } from "./schema-debug.js";
import { formatSchemaTest, schemaTest } from "./schema-test.js";

const dir = mkdtempSync(join(tmpdir(), "torus-tools-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("schema-debug: tagged names", () => {
  it("shows the canonical name, or why a tag is bad", () => {
    const config = compileConfig({ SCHEMAS: { t: { match: "^disk", intervals: { m: { step: 60 } }, host: "sqlite:///:memory:" } } });
    expect(schemaDebug(config, ["disk.used;host=web01;datacenter=dc1", "disk.used;dc="])).toBe(
      [
        "disk.used;datacenter=dc1;host=web01",
        "  schema t (count) sqlite:///:memory: -> disk.used;datacenter=dc1;host=web01",
        "disk.used;dc=",
        '  (bad tag: Value for tag "dc" may not be empty)',
        "",
      ].join("\n"),
    );
  });
});

describe("schema-debug", () => {
  const config = compileConfig({
    SCHEMAS: {
      all: { match: "^foo", intervals: { m: { step: 60 } }, host: "sqlite:///:memory:" },
      renamed: { type: "gauge", match: "dog$", transform: (s: string, v: string) => [`pets.${s}`, v], intervals: { m: { step: 60 } } },
    },
    AGGREGATES: [["foo", "foo.*"], ["foo", "foo.*.*"], ["foo.<a>", "foo.<a>.*"]],
  });

  it("prints schemas with host and transform result, then aggregates recursively, each name once", () => {
    const text = schemaDebug(config, ["foo.bar.dog", "nothing.here"]);
    expect(text).toBe(
      [
        "foo.bar.dog",
        "  schema all (count) sqlite:///:memory: -> foo.bar.dog",
        "  schema renamed (gauge) sqlite:///:memory: -> pets.foo.bar.dog (transformed)",
        "  aggregate foo <- foo.*.*",
        "    foo",
        "      schema all (count) sqlite:///:memory: -> foo",
        "  aggregate foo.<a> <- foo.<a>.*",
        "    foo.bar",
        "      schema all (count) sqlite:///:memory: -> foo.bar",
        "      aggregate foo <- foo.* -> foo (already reached: not counted twice)",
        "nothing.here",
        "  (no schema: dead letter)",
        "",
      ].join("\n"),
    );
  });
});

describe("schema-test", () => {
  it("runs the generators through routing and storage and counts per schema and aggregate", async () => {
    const db = join(dir, "st.db");
    let i = 0;
    const config = compileConfig({
      SCHEMAS: {
        hits: { match: "^hits\\.", host: `sqlite:///${db}`, intervals: { m: { step: 60 } }, generator: () => [`hits.app${i++ % 3}`, 1] },
      },
      AGGREGATES: [["hits.all", "hits.*"]],
    });
    const logger = createLogger("test", 0);
    const r = await schemaTest(config, { duration: 0.5, logger });
    expect(r.emitted).toBeGreaterThan(0);
    expect(r.bySchema).toEqual([["hits", r.emitted * 2]]); // each point and its rollup
    expect(r.byAggregate).toEqual([["hits.all <- hits.*", r.emitted]]);
    expect(r.inserted).toBe(r.emitted * 2);
    const store = new SqliteStore(`sqlite:///${db}`);
    // The schema's rows live under its name (the default prefix).
    const ts = new Timeseries(store, { intervals: { m: { step: 60 } }, prefix: "hits" });
    const now = Math.floor(Date.now() / 1000);
    const stored = [...(await ts.series("hits.all", "m", { start: now - 600, end: now, collapse: true })).values()][0];
    expect(stored).toBe(r.emitted);
    expect(formatSchemaTest(r)).toMatch(new RegExp(`emitted\\s+${r.emitted}\\ninserted\\s+${r.inserted}`));
    // --clear starts from nothing.
    const again = await schemaTest(config, { duration: 0.2, clear: true, logger });
    const after = [...(await ts.series("hits.all", "m", { start: now - 600, end: now + 600, collapse: true })).values()][0];
    expect(after).toBe(again.emitted);
    await store.close();
  });

  it("refuses a configuration without generators", async () => {
    const config = compileConfig({ SCHEMAS: { a: { match: "a", intervals: { m: { step: 60 } } } } });
    await expect(schemaTest(config, { duration: 0.1, logger: createLogger("t", 0) })).rejects.toThrow(/no schema defines a generator/);
  });
});
