/**
 * Karbon's listeners: a list of {name, protocol, transport, address}, each
 * opened as its own receiver, named in the addresses and the listening log
 * line; `--tcp`/`--udp` map onto the plaintext ones.
 */
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { compileConfig } from "../config/index.js";
import { karbonServer } from "../server/karbon-server.js";
import { carbonListeners, checkListeners, type ListenerSpec } from "./receivers/listener.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const loopback = { host: "127.0.0.1", port: 0 };

async function karbon(listeners: readonly ListenerSpec[]) {
  const config = compileConfig({ SCHEMAS: { all: { type: "count", match: "^l\\.", intervals: { minute: { step: 60, steps: 60 } }, prefix: "klst" } } });
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const server = karbonServer({ configFiles: [], config, logger, listeners });
  cleanups.push(() => server.stop());
  const addresses = await server.start();
  return { k: server.karbon, addresses, logs };
}

function sendTcp(port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => s.end(text));
    s.on("error", reject);
    s.on("close", () => resolve());
  });
}

// A wait on a condition: the window is only how long a loaded machine may take.
async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("listeners", () => {
  it("--tcp and --udp are the plaintext listeners named tcp and udp", () => {
    const tcp = { host: "localhost", port: 2003 };
    const udp = { host: "0.0.0.0", port: 2003 };
    expect(carbonListeners(tcp, null)).toEqual([{ name: "tcp", protocol: "plaintext", transport: "tcp", address: tcp }]);
    expect(carbonListeners(tcp, udp)).toEqual([
      { name: "tcp", protocol: "plaintext", transport: "tcp", address: tcp },
      { name: "udp", protocol: "plaintext", transport: "udp", address: udp },
    ]);
    expect(carbonListeners(null, null)).toEqual([]);
  });

  it("refuses a name used twice, or the metrics port's name", () => {
    const spec = (name: string): ListenerSpec => ({ name, protocol: "plaintext", transport: "tcp", address: loopback });
    expect(() => checkListeners([spec("tcp"), spec("tcp")])).toThrow(/"tcp" is used twice/);
    expect(() => checkListeners([spec("metrics")])).toThrow(/"metrics"/);
    expect(() => checkListeners([spec("tcp"), spec("udp"), spec("other")])).not.toThrow();
  });

  it("opens every listener, names each in the addresses and the log line, and takes points on each", async () => {
    const { k, addresses, logs } = await karbon([
      { name: "tcp", protocol: "plaintext", transport: "tcp", address: loopback },
      { name: "second", protocol: "plaintext", transport: "tcp", address: loopback },
      { name: "udp", protocol: "plaintext", transport: "udp", address: loopback },
    ]);
    expect(Object.keys(addresses).sort()).toEqual(["metrics", "second", "tcp", "udp"]);
    expect(addresses.tcp!.port).not.toBe(addresses.second!.port);
    const line = logs.find((l) => l.msg === "karbon listening")!;
    expect(Object.keys(line).filter((key) => ["tcp", "udp", "second", "metrics", "schemas", "flushInterval"].includes(key))).toEqual(["tcp", "udp", "second", "metrics", "schemas", "flushInterval"]);
    expect((line.second as { port: number }).port).toBe(addresses.second!.port);

    const now = Math.floor(Date.now() / 1000);
    await sendTcp(addresses.tcp!.port, `l.a 1 ${now}\n`);
    await sendTcp(addresses.second!.port, `l.b 2 ${now}\nGET 1\n`);
    const udp = createSocket("udp4");
    cleanups.push(() => udp.close());
    await new Promise<void>((r) => udp.send(`l.c 3 ${now}\n`, addresses.udp!.port, "127.0.0.1", () => r()));
    await until(() => k.metrics.pointsReceived === 3);
    expect(Object.fromEntries(k.metrics.badLines)).toEqual({ too_few_fields: 1 });
  });

  it("names the Carbon plaintext ports null when they are off", async () => {
    const { addresses, logs } = await karbon([]);
    expect(addresses).toEqual({ tcp: null, udp: null, metrics: null });
    const line = logs.find((l) => l.msg === "karbon listening")!;
    expect([line.tcp, line.udp, line.metrics]).toEqual([null, null, null]);
  });
});
