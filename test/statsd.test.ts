/**
 * A real client: Etsy's statsd (npm `statsd`) with its graphite backend
 * pointed at karbon running examples/statsd.ts. Counters, timers and gauges
 * go in over UDP; the stored results are read back from the SQLite files.
 */
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import { loadConfig } from "../src/config/index.js";
import { buildRuntime } from "../src/runtime/runtime.js";
import { StoreRegistry } from "../src/timeseries/index.js";
import { ROOT, eventually, freePort, reapChildren, spawnCli, track } from "./helpers/processes.js";

const dir = mkdtempSync(join(tmpdir(), "torus-statsd-"));
const registry = new StoreRegistry();
afterEach(() => reapChildren());
afterAll(async () => {
  await registry.closeAll();
  rmSync(dir, { recursive: true, force: true });
});


function sendUdp(port: number, messages: string[]): Promise<void> {
  const s = createSocket("udp4");
  return new Promise((resolve) => {
    let left = messages.length;
    for (const m of messages) s.send(m, port, "127.0.0.1", () => --left === 0 && s.close(() => resolve()));
  });
}

it("statsd's graphite backend → karbon → SQLite: counters, timers and gauges read back", async () => {
  const env = { TORUS_DATA: dir };
  const karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--config", join(ROOT, "examples", "statsd.ts")], env);
  const karbonPort = (await karbon.waitForLog("karbon listening")).tcp.port;

  const statsdPort = await freePort(true);
  const statsdConfig = join(dir, "statsd.js");
  writeFileSync(
    statsdConfig,
    `(${JSON.stringify({
      graphiteHost: "127.0.0.1",
      graphitePort: karbonPort,
      port: statsdPort,
      address: "127.0.0.1",
      mgmt_address: "127.0.0.1",
      mgmt_port: await freePort(),
      flushInterval: 1000,
      backends: ["./backends/graphite"],
      graphite: { legacyNamespace: true },
    })})`,
  );
  const statsd = track(spawn(process.execPath, [join(ROOT, "node_modules", "statsd", "stats.js"), statsdConfig], { cwd: join(ROOT, "node_modules", "statsd"), stdio: "pipe" }));
  let statsdOut = "";
  statsd.stdout.on("data", (d) => (statsdOut += d));
  statsd.stderr.on("data", (d) => (statsdOut += d));
  await eventually(() => /server is up/i.test(statsdOut), 10_000);

  const start = Math.floor(Date.now() / 1000);
  const counts = [...Array(10).fill("shop.checkout:1|c"), "shop.checkout:5|c|@0.5", "shop.search:3|c"];
  const timers = ["shop.render:100|ms", "shop.render:200|ms", "shop.render:350|ms"];
  await sendUdp(statsdPort, [...counts, ...timers, "shop.queue:42|g"]);
  // Expected values, computed the way statsd applies sample rates.
  const checkout = 10 * 1 + 5 / 0.5;
  const search = 3;

  process.env.TORUS_DATA = dir;
  const runtime = await buildRuntime(await loadConfig([join(ROOT, "examples", "statsd.ts")]), registry);
  const series = (schema: string) => runtime.schema(schema)!.series;
  const total = async (schema: string, stat: string, transform?: string) =>
    [...(await series(schema).series(stat, "hourly", { start: start - 3600, end: start + 3600, collapse: true, transform })).values()][0];

  await eventually(async () => (await total("counts", "stats_counts.shop.checkout")) === checkout, 15_000, 250);
  expect(await total("counts", "stats_counts.shop.search")).toBe(search);
  // The aggregate rolls every feature of the app into stats_counts.shop.
  await eventually(async () => (await total("counts", "stats_counts.shop")) === checkout + search, 5_000, 250);
  // Timers: statsd sends per-flush summaries; the histogram of `count` sums to the samples sent.
  await eventually(async () => (await total("timers", "stats.timers.shop.render.count", "sum")) === timers.length, 5_000, 250);
  expect(await total("timers", "stats.timers.shop.render.upper", "max")).toBe(350);
  expect(await total("timers", "stats.timers.shop.render.lower", "min")).toBe(100);
  // The timer aggregate: each summary rolls up across the app's features.
  expect(await total("timers", "stats.timers.shop.upper", "max")).toBe(350);
  // Gauges keep the newest value.
  await eventually(async () => (await total("gauges", "stats.gauges.shop.queue")) === 42, 5_000, 250);

  karbon.kill("SIGTERM");
  expect(await karbon.exited).toBe(0);
}, 60_000);
