import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { compileConfig } from "../config/index.js";
import type { Runtime } from "../runtime/runtime.js";
import { SqliteStore } from "../timeseries/backends/sqlite/sqlite-store.js";
import { RuntimeHost, type StoreRole } from "./runtime-host.js";

// Config files live outside the project, as an operator's would.
const dir = mkdtempSync(join(tmpdir(), "torus-host-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hosts: RuntimeHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
});

/** What the config files' hooks did, in order (they push onto this array through globalThis). */
const events: string[] = [];
(globalThis as unknown as { __hostEvents: string[] }).__hostEvents = events;

const logs: Array<Record<string, unknown>> = [];
const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line)) });

function configFile(schemas: string[], body = ""): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.mjs`);
  const entries = schemas.map((name) => `${name}: { type: "count", match: "^${name}\\\\.", prefix: "rh_${name}", intervals: { minute: { step: 60, steps: 10 } } }`);
  writeFileSync(path, `export const SCHEMAS = { ${entries.join(", ")} };\n${body}\n`);
  return path;
}

const hooks = `
export const on_load = () => globalThis.__hostEvents.push("on_load");
export const on_reload = () => globalThis.__hostEvents.push("on_reload");
`;

function host(files: string[], role: StoreRole = "query"): RuntimeHost {
  const h = new RuntimeHost({ configFiles: files, logger, role });
  hosts.push(h);
  return h;
}

describe("RuntimeHost", () => {
  it("loads the files, runs on_load once, and on reload installs the new runtime before on_reload, over the same stores", async () => {
    events.length = 0;
    const file = configFile(["a"], hooks);
    const h = host([file]);
    const first = await h.load();
    expect(first.schemas.map((s) => s.compiled.name)).toEqual(["a"]);
    expect(h.runtime()).toBe(first);
    expect(events).toEqual(["on_load"]);
    // A second load() is the same load, not another one.
    expect(await h.load()).toBe(first);
    expect(events).toEqual(["on_load"]);

    const installed: Runtime[] = [];
    h.onInstall((runtime) => {
      installed.push(runtime);
      events.push(`install ${runtime.schemas.length}`);
    });
    writeFileSync(file, `export const SCHEMAS = { a: { type: "count", match: "^a\\\\.", prefix: "rh_a", intervals: { minute: { step: 60, steps: 10 } } }, b: { type: "count", match: "^b\\\\.", prefix: "rh_b", intervals: { minute: { step: 60, steps: 10 } } } };\n${hooks}`);
    expect(await h.reload()).toBeNull();
    expect(events).toEqual(["on_load", "install 2", "on_reload"]);
    expect(installed).toEqual([h.runtime()]);
    expect(h.runtime().schemas.map((s) => s.compiled.name)).toEqual(["a", "b"]);
    // Stores stay open across reloads: the schema naming the same URL gets the same store.
    expect(h.runtime().schema("a")!.store).toBe(first.schema("a")!.store);
  });

  it("a configuration that fails to load keeps the running runtime, and says why", async () => {
    const file = configFile(["a"]);
    const h = host([file]);
    const running = await h.load();
    let told = 0;
    h.onInstall(() => told++);
    writeFileSync(file, `export const SCHEMAS = { a: { type: "nonsense", match: "^a" } };\n`);
    const err = await h.reload();
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/schema "a"/);
    expect(h.runtime()).toBe(running);
    expect(told).toBe(0);
    expect(logs.some((l) => l.msg === "reload failed; keeping the running configuration")).toBe(true);
  });

  it("a configuration given up front is used for the first load; reloads read the files", async () => {
    const file = configFile(["fromfile"]);
    const given = compileConfig({ SCHEMAS: { given: { type: "count", match: "^g", prefix: "rh_g", intervals: { minute: { step: 60, steps: 10 } } } } });
    const h = new RuntimeHost({ configFiles: [file], config: given, logger, role: "query" });
    hosts.push(h);
    expect((await h.load()).config).toBe(given);
    expect(await h.reload()).toBeNull();
    expect(h.config.schemas.map((s) => s.name)).toEqual(["fromfile"]);
  });

  it("opens stores with the defaults of its role: a small SQLite page cache while ingesting, the store's own for queries", async () => {
    const cacheKib = async (role: StoreRole) => {
      const h = host([configFile(["a"])], role);
      const store = (await h.load()).schema("a")!.store;
      expect(store).toBeInstanceOf(SqliteStore);
      return -Number((store as SqliteStore).handle.pragma("cache_size", { simple: true }));
    };
    expect(await cacheKib("ingest")).toBe(16 * 1024);
    expect(await cacheKib("query")).toBe(64 * 1024);
    expect(await cacheKib("tool")).toBe(64 * 1024);
  });

  it("asking for the runtime before the first load is a clear error", () => {
    expect(() => host([]).runtime()).toThrow(/not loaded/);
  });
});
