import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Timeseries } from "../../timeseries.js";
import { SqliteStore } from "./sqlite-store.js";

describe("SqliteStore: checkpoints run after the write, not inside it", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("leaves the pages in the WAL at commit and copies them into the file a moment later", async () => {
    const dir = mkdtempSync(join(tmpdir(), "torus-checkpoint-"));
    dirs.push(dir);
    const file = join(dir, "c.db");
    const store = new SqliteStore(`sqlite:///${file}`);
    expect(store.handle.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    const now = 1_800_000_000;
    const ts = new Timeseries(store, { type: "count", intervals: { minute: { step: 60 } }, clock: () => now });
    const before = statSync(file).size;
    // Far more than SQLite's 1,000-page mark, which would have checkpointed inside the commit.
    const inserts: Record<number, Record<string, number[]>> = {};
    for (let m = 0; m < 200; m++) {
      const byName: Record<string, number[]> = {};
      for (let n = 0; n < 1000; n++) byName[`c.n${n}`] = [1];
      inserts[now - m * 60] = byName;
    }
    await ts.bulk_insert(inserts);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(4_000_000);
    expect(statSync(file).size).toBe(before);
    // The passive checkpoint comes a few seconds after the write (CHECKPOINT_DELAY_MS).
    const end = Date.now() + 15_000;
    while (statSync(file).size === before && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(statSync(file).size).toBeGreaterThan(before);
    expect(await ts.get("c.n7", "minute", { timestamp: now })).toBe(1);
    await store.close();
  });

  it("checkpoints at once after many writes that never let the timer run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "torus-checkpoint-"));
    dirs.push(dir);
    const file = join(dir, "c.db");
    const store = new SqliteStore(`sqlite:///${file}`);
    const now = 1_800_000_000;
    const ts = new Timeseries(store, { type: "count", intervals: { minute: { step: 60 } }, clock: () => now });
    await ts.insert("c.first", 1, now);
    const before = statSync(file).size;
    // Awaiting a write that completes at once runs no timer in between.
    for (let i = 0; i < 150; i++) await ts.insert(`c.n${i}`, 1, now - i * 60);
    expect(statSync(file).size).toBeGreaterThan(before);
    await store.close();
  });
});
