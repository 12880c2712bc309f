/**
 * A real client: Etsy's statsd (npm `statsd`) with its graphite backend
 * pointed at karbon running examples/statsd.ts. Counters, timers and gauges
 * go in over UDP; the stored results are read back from the SQLite files.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import { loadConfig } from "../src/config/index.js";
import { buildRuntime } from "../src/runtime/runtime.js";
import { StoreRegistry } from "../src/timeseries/index.js";
import { ROOT, reapChildren, spawnCli } from "./helpers/processes.js";
import { expectStatsdTotals, sendStatsdLoad, startStatsd } from "./helpers/statsd.js";

const dir = mkdtempSync(join(tmpdir(), "torus-statsd-"));
const registry = new StoreRegistry();
afterEach(() => reapChildren());
afterAll(async () => {
  await registry.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

it("statsd's graphite backend → karbon → SQLite: counters, timers and gauges read back", async () => {
  const env = { TORUS_DATA: dir };
  const karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--config", join(ROOT, "examples", "statsd.ts")], env);
  const karbonPort = (await karbon.waitForLog("karbon listening")).tcp.port;
  const statsd = await startStatsd(dir, { graphitePort: karbonPort });
  const start = await sendStatsdLoad(statsd.port);

  process.env.TORUS_DATA = dir;
  const runtime = await buildRuntime(await loadConfig([join(ROOT, "examples", "statsd.ts")]), registry);
  await expectStatsdTotals(runtime, start);
  expect(statsd.output()).not.toMatch(/error/i);

  karbon.kill("SIGTERM");
  expect(await karbon.exited).toBe(0);
}, 60_000);
