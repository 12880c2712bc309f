import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileConfig } from "../../config/index.js";
import { buildRuntime, type Runtime, type RuntimeSchema } from "../../runtime/runtime.js";
import { StoreRegistry, Timeseries, WriteBatch, type Namespace, type Store } from "../../timeseries/index.js";
import { StoreNameSource } from "./store-name-source.js";

const NOW = 1_800_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A wait on a condition: the window is only how long a loaded machine may take.
async function eventually(check: () => boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await sleep(10);
  }
}

async function write(series: Timeseries, names: string[]): Promise<void> {
  const batch = new WriteBatch();
  for (const name of names) series.stage(batch, name, 1, NOW, 0, NOW);
  await series.store.write(batch);
}

/** A store that hides what it is told to (a store without a change token, or without listAfter), counts listings and can be made to fail. */
class WrappedStore implements Store {
  lists = 0;
  fullLists = 0;
  down = false;
  delayMs = 0;
  changeToken?: () => string;
  listAfter?: (ns: Namespace, after: number, limit?: number) => Promise<{ names: string[]; next: number }>;

  constructor(private readonly inner: Store, opts: { token?: boolean | string; incremental?: boolean }) {
    if (opts.token === true) this.changeToken = () => inner.changeToken!();
    else if (typeof opts.token === "string") this.changeToken = () => opts.token as string;
    if (opts.incremental) {
      this.listAfter = async (ns, after, limit) => {
        this.lists++;
        if (after === 0) this.fullLists++;
        if (this.down) throw new Error("store is down");
        return inner.listAfter!(ns, after, limit);
      };
    }
  }
  get url() {
    return this.inner.url;
  }
  get handle() {
    return this.inner.handle;
  }
  write = (b: WriteBatch) => this.inner.write(b);
  read: Store["read"] = (...a) => this.inner.read(...a);
  properties: Store["properties"] = (...a) => this.inner.properties(...a);
  delete: Store["delete"] = (...a) => this.inner.delete(...a);
  deleteAll: Store["deleteAll"] = (...a) => this.inner.deleteAll(...a);
  expire: Store["expire"] = (...a) => this.inner.expire(...a);
  close = () => Promise.resolve();
  async list(ns: Namespace): Promise<string[]> {
    this.lists++;
    this.fullLists++;
    if (this.delayMs) {
      // Busy, as a large listing is: the pacing must see the cost.
      const until = performance.now() + this.delayMs;
      while (performance.now() < until);
    }
    if (this.down) throw new Error("store is down");
    return this.inner.list(ns);
  }
}

const dir = mkdtempSync(join(tmpdir(), "torus-name-source-"));
let base: Runtime;
afterAll(async () => {
  for (const s of base.schemas) await s.store.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  const intervals = { minute: { step: 60, steps: 60 } };
  const host = `sqlite:///${join(dir, "names.db")}`;
  const config = compileConfig({
    SCHEMAS: {
      a: { type: "count", match: "^a\\.", prefix: "pa", host, intervals },
      // Same store, prefix and type as `a`: listed once.
      a2: { type: "count", match: "^aa\\.", prefix: "pa", host, intervals },
      b: { type: "count", match: "^b\\.", prefix: "pb", host, intervals },
    },
  });
  base = await buildRuntime(config, new StoreRegistry());
});

/** The base runtime with its schemas (some of them) on wrapped stores. */
function runtimeWith(schemas: RuntimeSchema[], wrap?: (s: Store) => Store): Runtime {
  const wrapped = schemas.map((s) => {
    if (!wrap) return s;
    const store = wrap(s.store);
    return { compiled: s.compiled, store, series: new Timeseries(store, s.compiled.options) };
  });
  return { ...base, schemas: wrapped };
}

describe("StoreNameSource", () => {
  it("lists shared namespaces once, adds new names incrementally, and keeps the token's promise: nothing changed, nothing listed", async () => {
    const [a, a2, b] = base.schemas;
    await write(a.series, ["a.x.one", "a.x.two"]);
    await write(b.series, ["b.y"]);
    let wrapped: WrappedStore | undefined;
    const runtime = runtimeWith([a, a2, b], (s) => (wrapped ??= new WrappedStore(s, { token: true, incremental: true })));
    const registry = new Registry();
    const source = new StoreNameSource({ runtime: () => runtime, checkMs: 20, registry });
    try {
      await source.ready();
      const index = source.index();
      expect(index.schemas()).toHaveLength(2);
      expect(index.leaves()).toEqual(["a.x.one", "a.x.two", "b.y"]);
      expect(wrapped!.fullLists).toBe(2);
      // Nothing written: the token holds still, nothing is listed.
      const before = wrapped!.lists;
      await sleep(150);
      expect(wrapped!.lists).toBe(before);
      // A new name: found by an incremental listing, no full one.
      await write(a.series, ["a.x.three"]);
      await eventually(() => index.find("a.x.*").nodes.length === 3);
      expect(wrapped!.fullLists).toBe(2);
      expect(await registry.metrics()).toMatch(/torus_name_refreshes_total\{kind="incremental"\} [1-9]/);
      expect(await registry.metrics()).toMatch(/torus_name_index_names 4/);
    } finally {
      await source.close();
    }
  });

  it("caughtUp: not before the first listing, then until a store holds a name stored after it; never for a store listed only in full", async () => {
    const [a, a2, b] = base.schemas;
    const source = new StoreNameSource({ runtime: () => runtimeWith([a, a2, b]), checkMs: 60_000 });
    try {
      expect(await source.caughtUp()).toBe(false);
      await source.ready();
      expect(await source.caughtUp()).toBe(true);
      await write(b.series, [`b.new${Date.now()}`]);
      expect(await source.caughtUp()).toBe(false);
    } finally {
      await source.close();
    }
    const full = new StoreNameSource({ runtime: () => runtimeWith([b], (s) => new WrappedStore(s, { token: true })), checkMs: 60_000 });
    try {
      await full.ready();
      expect(await full.caughtUp()).toBe(false);
    } finally {
      await full.close();
    }
  });

  it("a store without token or listAfter is listed in full, paced by what a listing costs", async () => {
    const [, , b] = base.schemas;
    let wrapped: WrappedStore | undefined;
    const runtime = runtimeWith([b], (s) => (wrapped = new WrappedStore(s, {})));
    // A listing costs 40 ms and may take 20% of a core: one per 200 ms at most.
    const source = new StoreNameSource({ runtime: () => runtime, checkMs: 10, share: 0.2 });
    try {
      await source.ready();
      wrapped!.delayMs = 40;
      await sleep(50);
      const from = wrapped!.lists;
      const started = performance.now();
      await sleep(1000);
      const elapsed = performance.now() - started;
      const n = wrapped!.lists - from;
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(Math.ceil(elapsed / 200) + 1);
      await write(b.series, ["b.later"]);
      await eventually(() => source.index().find("b.*").nodes.length === 2);
    } finally {
      await source.close();
    }
  });

  it("a store that is down: the last names stay, the failure is counted, and it recovers", async () => {
    const [, , b] = base.schemas;
    let wrapped: WrappedStore | undefined;
    const runtime = runtimeWith([b], (s) => (wrapped = new WrappedStore(s, { token: true, incremental: true })));
    const registry = new Registry();
    const logs: string[] = [];
    const logger = { warn: (_o: unknown, msg: string) => logs.push(msg), info: (_o: unknown, msg: string) => logs.push(msg), error: () => {} };
    const source = new StoreNameSource({ runtime: () => runtime, checkMs: 10, fullEveryMs: 50, registry, logger: logger as never });
    try {
      await source.ready();
      const names = source.index().leaves();
      expect(names.length).toBeGreaterThan(0);
      wrapped!.down = true;
      // A write moves the token: the listing is tried, and fails.
      await write(b.series, ["b.while_down"]);
      await eventually(() => logs.includes("name listing failed; find answers from the last listing"));
      await sleep(100);
      expect(source.index().leaves()).toEqual(names);
      expect(logs.filter((l) => l.startsWith("name listing failed"))).toHaveLength(1);
      expect(await registry.metrics()).toMatch(/torus_name_refresh_failures_total [1-9]/);
      wrapped!.down = false;
      await eventually(() => logs.includes("name listing works again"));
      expect(source.index().find("b.while_down").nodes).toHaveLength(1);
    } finally {
      await source.close();
    }
  });

  it("a store down from the start: ready() still resolves, with no names", async () => {
    const [, , b] = base.schemas;
    const runtime = runtimeWith([b], (s) => {
      const w = new WrappedStore(s, {});
      w.down = true;
      return w;
    });
    const source = new StoreNameSource({ runtime: () => runtime, checkMs: 10 });
    try {
      await source.ready();
      expect(source.index().size()).toBe(0);
    } finally {
      await source.close();
    }
  });

  it("a listing that hangs times out: ready() resolves, the failure is counted, and it is not asked again until it settles", async () => {
    const [, , b] = base.schemas;
    let wrapped: WrappedStore | undefined;
    let release!: () => void;
    const hanging = new Promise<string[]>((resolve) => (release = () => resolve(["b.late"])));
    const runtime = runtimeWith([b], (s) => {
      wrapped = new WrappedStore(s, {});
      wrapped.list = async () => {
        wrapped!.lists++;
        return hanging;
      };
      return wrapped;
    });
    const registry = new Registry();
    const source = new StoreNameSource({ runtime: () => runtime, checkMs: 10, timeoutMs: 50, registry });
    try {
      await source.ready();
      expect(source.index().size()).toBe(0);
      expect(await registry.metrics()).toMatch(/torus_name_refresh_failures_total 1\n/);
      await sleep(150);
      expect(wrapped!.lists).toBe(1);
      release();
      await eventually(() => wrapped!.lists > 1);
      await eventually(() => source.index().find("b.late").nodes.length === 1);
    } finally {
      await source.close();
    }
  });

  it("follows reloads: a schema added is listed, one removed is dropped; a full listing drops deleted names", async () => {
    const [a, , b] = base.schemas;
    let runtime = runtimeWith([a]);
    const source = new StoreNameSource({ runtime: () => runtime, checkMs: 10, fullEveryMs: 30 });
    try {
      await source.ready();
      expect(source.index().find("b.*").nodes).toEqual([]);
      runtime = runtimeWith([a, b]);
      await eventually(() => source.index().find("b.*").nodes.length > 0);
      runtime = runtimeWith([b]);
      await eventually(() => source.index().find("a.*").nodes.length === 0);
      await write(b.series, ["b.gone"]);
      await eventually(() => source.index().find("b.gone").nodes.length === 1);
      await b.series.delete("b.gone");
      await eventually(() => source.index().find("b.gone").nodes.length === 0);
    } finally {
      await source.close();
    }
  });
});
