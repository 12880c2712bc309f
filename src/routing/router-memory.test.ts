import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

/** bench/name-memory.ts, run for real (it needs --expose-gc): bytes retained per name, by shape and holder. */
function measure(names: number): Map<string, number[]> {
  const script = join(import.meta.dirname, "..", "..", "bench", "name-memory.ts");
  const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", script, String(names)], { encoding: "utf8", timeout: 60_000 });
  expect(r.stderr).toBe("");
  const rows = new Map<string, number[]>();
  for (const line of r.stdout.split("\n").slice(2)) {
    const m = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(line);
    if (m) rows.set(m[1], m.slice(2).map(Number));
  }
  return rows;
}

it("the router and the name cache keep names flat: a short name cut from a line with a 4 KB value costs bytes, not the line", () => {
  const rows = measure(20_000);
  const [view, router, cache, estimate] = rows.get("short name, 4 KB value")!;
  expect(view).toBeGreaterThan(4000);
  expect(router).toBeLessThan(600);
  expect(cache).toBeLessThan(300);
  // The cache's estimate, which its bound is kept by, is not below what it holds.
  for (const [label, [, , held, est]] of rows) expect(est, label).toBeGreaterThanOrEqual(held * 0.9);
  expect(estimate).toBeGreaterThan(0);
}, 90_000);
