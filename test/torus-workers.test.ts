/** `torus web --workers N`: several processes serving one port over the same stores. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import { eventually, freePort, jsonLogs, reapChildren, spawnCli } from "./helpers/processes.js";

const dir = mkdtempSync(join(tmpdir(), "torus-workers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => reapChildren());

it("two workers share the port and the store, reload together and stop cleanly", async () => {
  const config = join(dir, "c.mjs");
  writeFileSync(config, `export const SCHEMAS = { c: { type: "count", host: "sqlite:///${join(dir, "c.db")}", match: "^c\\\\.", intervals: { minute: { step: 60 } } } };`);
  const port = await freePort();
  const p = spawnCli("torus-main.ts", ["web", "--workers", "2", "--tcp", `127.0.0.1:${port}`, "--config", config]);
  await eventually(() => jsonLogs(p.output()).filter((l) => l.msg === "torus listening").length === 2, 20_000);
  const listening = jsonLogs(p.output()).filter((l) => l.msg === "torus listening");
  expect(new Set(listening.map((l) => l.pid)).size).toBe(2);
  expect(listening.every((l) => l.http.port === port)).toBe(true);

  const n = 20;
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < n; i++) {
    // A new connection each time, so the primary hands requests to both workers.
    const res = await fetch(`http://127.0.0.1:${port}/insert?stat=c.hits&value=2&timestamp=${now}`, { method: "POST", headers: { connection: "close" } });
    expect(res.status).toBe(200);
  }
  const body = (await (await fetch(`http://127.0.0.1:${port}/series?stat=sum(c.hits)&start=${now}&end=${now}`)).json()) as Array<{ datapoints: unknown }>;
  expect(body[0].datapoints).toEqual([[2 * n, now - (now % 60)]]);
  const served = new Set(jsonLogs(p.output()).filter((l) => l.msg === "request").map((l) => l.pid));
  expect(served.size).toBe(2);

  p.kill("SIGHUP");
  await eventually(() => jsonLogs(p.output()).filter((l) => l.msg === "configuration reloaded").length === 2, 10_000);
  p.kill("SIGTERM");
  expect(await p.exited).toBe(0);
  expect(jsonLogs(p.output()).filter((l) => l.msg === "stopped cleanly")).toHaveLength(2);
}, 60_000);

it("rejects a bad --workers in one line", async () => {
  const p = spawnCli("torus-main.ts", ["web", "--workers", "zero", "--config", "/nonexistent.ts"]);
  expect(await p.exited).toBe(2);
  expect(p.output()).toMatch(/torus web: --workers: expected a whole number from 1 to 64, got "zero"/);
});
