import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { StoreRegistry } from "./open-store.js";
import type { SqliteStore } from "./sqlite/sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "torus-registry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cacheKb = async (registry: StoreRegistry, file: string, clientConfig?: Record<string, unknown>) => {
  const store = (await registry.open(`sqlite:///${join(dir, file)}`, clientConfig)) as SqliteStore;
  return -(store.handle as { pragma(s: string, o: { simple: true }): number }).pragma("cache_size", { simple: true });
};

it("applies per-scheme client_config defaults under what a schema gives", async () => {
  const plain = new StoreRegistry();
  const ingest = new StoreRegistry({ sqlite: { cache_mb: 16 } });
  try {
    expect(await cacheKb(plain, "a.db")).toBe(64 * 1024);
    expect(await cacheKb(ingest, "b.db")).toBe(16 * 1024);
    expect(await cacheKb(ingest, "c.db", { cache_mb: 2 })).toBe(2 * 1024);
  } finally {
    await plain.closeAll();
    await ingest.closeAll();
  }
});
