/**
 * Etsy's statsd (npm `statsd`) as a real client of karbon, and the load the
 * statsd tests send through it: counters (one sampled), timers and a gauge.
 */
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { Runtime } from "../../src/runtime/runtime.js";
import { ROOT, eventually, freePort, track } from "./processes.js";

/** Starts statsd with its graphite backend set by `graphite` (host, ports, protocol); resolves once it is up. */
export async function startStatsd(dir: string, graphite: Record<string, unknown>): Promise<{ port: number; output: () => string }> {
  const port = await freePort(true);
  const config = join(dir, "statsd.js");
  writeFileSync(
    config,
    `(${JSON.stringify({
      graphiteHost: "127.0.0.1",
      ...graphite,
      port,
      address: "127.0.0.1",
      mgmt_address: "127.0.0.1",
      mgmt_port: await freePort(),
      flushInterval: 1000,
      backends: ["./backends/graphite"],
      graphite: { legacyNamespace: true },
    })})`,
  );
  const statsd = track(spawn(process.execPath, [join(ROOT, "node_modules", "statsd", "stats.js"), config], { cwd: join(ROOT, "node_modules", "statsd"), stdio: "pipe" }));
  let out = "";
  statsd.stdout.on("data", (d) => (out += d));
  statsd.stderr.on("data", (d) => (out += d));
  await eventually(() => /server is up/i.test(out), 10_000);
  return { port, output: () => out };
}

export function sendUdp(port: number, messages: string[]): Promise<void> {
  const s = createSocket("udp4");
  return new Promise((resolve) => {
    let left = messages.length;
    for (const m of messages) s.send(m, port, "127.0.0.1", () => --left === 0 && s.close(() => resolve()));
  });
}

const COUNTS = [...Array(10).fill("shop.checkout:1|c"), "shop.checkout:5|c|@0.5", "shop.search:3|c"];
const TIMERS = ["shop.render:100|ms", "shop.render:200|ms", "shop.render:350|ms"];

/** Sends the load to statsd's UDP port; returns the time it was sent (seconds). */
export async function sendStatsdLoad(port: number): Promise<number> {
  const start = Math.floor(Date.now() / 1000);
  await sendUdp(port, [...COUNTS, ...TIMERS, "shop.queue:42|g"]);
  return start;
}

/** Waits until what the load should store under examples/statsd.ts is in the store, and checks it. */
export async function expectStatsdTotals(runtime: Runtime, start: number): Promise<void> {
  // Each wait is on a condition: its window only allows for a loaded machine (statsd flushes every second).
  // Expected values, computed the way statsd applies sample rates.
  const checkout = 10 * 1 + 5 / 0.5;
  const search = 3;
  const series = (schema: string) => runtime.schema(schema)!.series;
  const total = async (schema: string, stat: string, transform?: string) =>
    [...(await series(schema).series(stat, "hourly", { start: start - 3600, end: start + 3600, collapse: true, transform })).values()][0];

  await eventually(async () => (await total("counts", "stats_counts.shop.checkout")) === checkout, 15_000, 250);
  expect(await total("counts", "stats_counts.shop.search")).toBe(search);
  // The aggregate rolls every feature of the app into stats_counts.shop.
  await eventually(async () => (await total("counts", "stats_counts.shop")) === checkout + search, 15_000, 250);
  // Timers: statsd sends per-flush summaries; the histogram of `count` sums to the samples sent.
  await eventually(async () => (await total("timers", "stats.timers.shop.render.count", "sum")) === TIMERS.length, 15_000, 250);
  expect(await total("timers", "stats.timers.shop.render.upper", "max")).toBe(350);
  expect(await total("timers", "stats.timers.shop.render.lower", "min")).toBe(100);
  // The timer aggregate: each summary rolls up across the app's features.
  expect(await total("timers", "stats.timers.shop.upper", "max")).toBe(350);
  // Gauges keep the newest value.
  await eventually(async () => (await total("gauges", "stats.gauges.shop.queue")) === 42, 15_000, 250);
  // statsd's own counters came the same way.
  await eventually(async () => (await total("counts", "stats_counts.statsd.metrics_received")) !== null, 15_000, 250);
}
