/**
 * A relay whose Carbon receiver is away fills its bounded queue; its writes
 * then fail retryably, karbon's write buffer keeps the batches and, once
 * full, stops reading its TCP senders, as with a slow store. When the
 * receiver comes up everything accepted goes out and reading resumes.
 */
import { connect, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { compileConfig } from "../config/index.js";
import { karbonServer } from "../server/karbon-server.js";
import { FakeCarbon, until } from "../timeseries/backends/carbon/fake-carbon.case.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe("a relay with its receiver down", () => {
  it("holds karbon's input (queue bound, then buffer bound) and loses nothing once the receiver is up", async () => {
    const port = await freePort();
    const url = `carbon://127.0.0.1:${port}`;
    const config = compileConfig({
      SCHEMAS: { relayed: { type: "series", match: "^bp\\.", host: url, intervals: { raw: { step: 1 } }, client_config: { max_queue: 500, write_wait_ms: 20, backoff_min_ms: 20, backoff_max_ms: 50, confirm_ms: 20 } } },
      FLUSH_INTERVAL: 20,
      BUFFER_MAX_ROWS: 1000,
    });
    const logs: Array<Record<string, any>> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const server = karbonServer({ configFiles: [], config, logger, listeners: [{ name: "tcp", protocol: "plaintext", transport: "tcp", address: { host: "127.0.0.1", port: 0 } }] });
    cleanups.push(() => server.stop());
    const addresses = await server.start();
    const kport = (addresses as unknown as Record<string, AddressInfo>).tcp.port;
    const k = server.karbon;

    const base = 1_700_000_000;
    const lines: string[] = [];
    for (let t = 0; t < 1000; t++) for (let j = 0; j < 50; j++) lines.push(`bp.n${j} ${t * 100 + j} ${base + t}`);
    const socket = connect({ host: "127.0.0.1", port: kport });
    socket.on("error", () => {});
    socket.end(lines.join("\n") + "\n");

    await until(() => logs.some((l) => l.msg === "write buffer full: pausing input until the store catches up"), 10_000);
    // Paused: karbon stops reading, so most of what was sent waits in the socket, not in memory.
    await new Promise((r) => setTimeout(r, 300));
    const received = k.metrics.pointsReceived;
    expect(received).toBeLessThan(lines.length);
    expect(k.pending).toBeGreaterThanOrEqual(1000);
    const refusal = logs.find((l) => l.msg === "flush failed; keeping the data and retrying" && /relay queue full: \d+ points waiting/.test(l.err));
    expect(refusal).toBeDefined();
    // The relay holds what it took while its queue had room (a first batch goes in whole even when larger): nothing more.
    const held = Number(/relay queue full: (\d+) points waiting/.exec(refusal!.err)![1]);
    const metrics = await k.metrics.registry.metrics();
    expect(Number(/karbon_relay_points_queued\{store="[^"]+"\} (\d+)/.exec(metrics)![1])).toBe(held);
    expect(held).toBeLessThan(received);

    const carbon = new FakeCarbon("plaintext");
    await carbon.start(port);
    cleanups.push(() => carbon.stop());
    // The write buffer retries on its own backoff (at most 10 s): allow for it.
    await until(() => carbon.lines.length >= lines.length && k.pending === 0, 30_000);
    expect(k.metrics.pointsReceived).toBe(lines.length);
    expect(carbon.lines.length).toBe(lines.length);
    expect(new Set(carbon.lines)).toEqual(new Set(lines));
    expect(logs.some((l) => l.msg === "write buffer drained: resuming input")).toBe(true);
  }, 60_000);
});
