/**
 * The TCP and UDP receivers on real loopback sockets, with a recording
 * sink in place of the dispatcher: framing at the connection's end, the
 * connection cap, the idle timeout, HTTP requests on the Carbon port, and
 * UDP drops under pressure.
 */
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type Socket } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { collector } from "../protocols/plaintext/collecting-sink.case.js";
import { plaintext } from "../protocols/plaintext/index.js";
import { connectionsAllowedByFileLimit, TcpReceiver, type ConnectionEvent, type TcpLimits } from "./tcp-receiver.js";
import { UdpReceiver } from "./udp-receiver.js";

const logger = pino({ level: "silent" });
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tcpReceiver(limits?: TcpLimits) {
  const sink = collector();
  const events: Array<[ConnectionEvent | string, boolean | undefined]> = [];
  let chunks = 0;
  const r = new TcpReceiver({
    decoder: () => plaintext.stream(sink, { maxLineLength: 4096 }),
    onChunk: () => chunks++,
    logger,
    limits: limits && (() => limits),
    onConnectionEvent: (e, p) => events.push([e, p]),
    onInputRefused: (reason) => events.push([reason, undefined]),
  });
  const { port } = await r.listen("127.0.0.1", 0);
  cleanups.push(() => r.close());
  return { r, sink, events, port, chunks: () => chunks };
}

/** A connected client; `closed` resolves with the error code the client saw, if any. */
async function client(port: number, allowHalfOpen = false): Promise<{ s: Socket; closed: Promise<string | null>; write(text: string): Promise<void> }> {
  const s = connect({ host: "127.0.0.1", port, allowHalfOpen });
  let error: string | null = null;
  s.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  const closed = new Promise<string | null>((r) => s.on("close", () => r(error)));
  await new Promise<void>((resolve, reject) => {
    s.once("connect", () => resolve());
    s.once("error", reject);
  });
  cleanups.push(() => s.destroy());
  return { s, closed, write: (text) => new Promise((r) => s.write(text, () => r())) };
}

// A wait on a condition: the window is only how long a loaded machine may take.
async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const names = (sink: ReturnType<typeof collector>) => sink.events.filter((e) => e.kind === "point").map((e) => (e.kind === "point" ? `${e.name}=${e.value}@${e.timestamp}` : ""));

describe("TcpReceiver", () => {
  it("stores a final line that has no newline when the sender closes", async () => {
    const { sink, port } = await tcpReceiver();
    const c = await client(port);
    await c.write("a.b 1 100\na.c 2 ");
    await c.write("200");
    c.s.end();
    await c.closed;
    await until(() => sink.events.length === 2);
    expect(names(sink)).toEqual(["a.b=1@100", "a.c=2@200"]);
  });

  it("closing with a drain half-closes each connection and reads on until its sender closes: every line it wrote is decoded", async () => {
    const { r, sink, port } = await tcpReceiver();
    const c = await client(port, true);
    // A sender that streams until it sees karbon's FIN, then ends its side: what it wrote up to there must all arrive.
    let sent = 0;
    let finSeen = false;
    c.s.on("end", () => {
      finSeen = true;
      c.s.end();
    });
    const pump = (async () => {
      while (!finSeen) {
        const lines = Array.from({ length: 50 }, () => `drain.a ${++sent} 100\n`).join("");
        await c.write(lines);
      }
    })();
    await until(() => sink.events.length > 200);
    const start = Date.now();
    await r.close(5_000);
    await pump;
    expect(await c.closed).toBeNull();
    expect(Date.now() - start).toBeLessThan(4_000);
    expect(names(sink)).toEqual(Array.from({ length: sent }, (_, i) => `drain.a=${i + 1}@100`));
  });

  it("a connection still open when the drain ends is dropped; its complete lines were decoded, its cut line was not", async () => {
    const { r, sink, port } = await tcpReceiver();
    // Half-open allowed: this sender does not close its side when karbon closes its own.
    const c = await client(port, true);
    await c.write("kept.a 1 100\ncut.b 2");
    await until(() => sink.events.length === 1);
    const start = Date.now();
    await r.close(300);
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
    expect(names(sink)).toEqual(["kept.a=1@100"]);
  });

  it("refuses connections past MAX_CONNECTIONS at once and counts them; open ones keep every line", async () => {
    const { r, sink, events, port } = await tcpReceiver({ idleTimeoutMs: 0, maxConnections: 2 });
    const a = await client(port);
    const b = await client(port);
    await until(() => r.connections === 2);
    // The refused sender sees the connection reset (perhaps before its connect completes), not a socket that swallows its lines.
    const refused = connect({ host: "127.0.0.1", port });
    const seen = await new Promise<string | undefined>((res) => {
      let code: string | undefined;
      refused.on("error", (e: NodeJS.ErrnoException) => (code = e.code));
      refused.on("close", () => res(code));
    });
    expect(seen).toBe("ECONNRESET");
    expect(events).toEqual([["max_connections", undefined]]);
    for (let i = 0; i < 100; i++) await Promise.all([a.write(`a.x ${i} 100\n`), b.write(`b.x ${i} 100\n`)]);
    a.s.end();
    b.s.end();
    await Promise.all([a.closed, b.closed]);
    await until(() => sink.events.length === 200);
    expect(sink.events.every((e) => e.kind === "point")).toBe(true);
    // Below the cap again: a new connection is accepted.
    await until(() => r.connections === 0);
    const c = await client(port);
    await c.write("c.x 1 100\n");
    c.s.end();
    expect(await c.closed).toBeNull();
    await until(() => sink.events.length === 201);
  });

  it("closes an idle connection after the timeout; its complete lines were handed on, a cut-short tail is reported", async () => {
    const { r, sink, events, port } = await tcpReceiver({ idleTimeoutMs: 300, maxConnections: 10 });
    const c = await client(port);
    const started = Date.now();
    await c.write("i.a 1 100\ni.b 2 100\ni.c 3 1");
    await c.closed;
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
    expect(names(sink)).toEqual(["i.a=1@100", "i.b=2@100"]);
    expect(events).toEqual([["idle", true]]);
    await until(() => r.connections === 0);
  });

  it("keeps a sender that writes within the timeout, and suspends the timeout while input is paused", async () => {
    const { r, sink, events, port } = await tcpReceiver({ idleTimeoutMs: 300, maxConnections: 10 });
    const c = await client(port);
    for (let i = 0; i < 5; i++) {
      await c.write(`k.a ${i} 100\n`);
      await new Promise((res) => setTimeout(res, 150));
    }
    r.pause(); // the write buffer is full: the sender waits on us, it is not idle
    await new Promise((res) => setTimeout(res, 800));
    expect(events).toEqual([]);
    r.resume();
    await until(() => events.length === 1);
    expect(events).toEqual([["idle", false]]);
    expect(sink.events).toHaveLength(5);
  });

  it.each([
    ["a browser form POST", ["POST /submit HTTP/1.1\r\nHost: localhost:2003\r\nContent-Type: text/plain\r\n\r\nevil.stat 1 100\n"]],
    ["a GET split across reads", ["GE", "T /x HT", "TP/1.1\r\nHost: a\r\n\r\n"]],
    ["an HTTP/1.0 HEAD", ["HEAD / HTTP/1.0\n\nevil 1 1\n"]],
  ])("closes a connection whose first line is an HTTP request (%s) before parsing anything", async (_label, chunks) => {
    const { sink, events, port } = await tcpReceiver();
    const c = await client(port);
    for (const chunk of chunks) {
      await c.write(chunk);
      await new Promise((res) => setTimeout(res, 20));
    }
    await c.closed;
    expect(events).toEqual([["http_request", undefined]]);
    expect(sink.events).toEqual([]);
  });

  it("takes Carbon lines that only look HTTP-ish", async () => {
    const { sink, events, port } = await tcpReceiver();
    const c = await client(port);
    await c.write("GET 1 100\nPOST.x 2 100\n");
    c.s.end();
    await c.closed;
    await until(() => sink.events.length === 2);
    expect(names(sink)).toEqual(["GET=1@100", "POST.x=2@100"]);
    expect(events).toEqual([]);
  });
});

describe("connectionsAllowedByFileLimit", () => {
  it.each([
    ["1024", 1024 - 128],
    ["200", 200 - 64],
    ["20000", 20000 - 2500],
    ["unlimited", null],
  ])("a soft limit of %s open files leaves %s connections", (soft, expected) => {
    const dir = mkdtempSync(join(tmpdir(), "torus-limits-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "limits");
    writeFileSync(file, `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft.padEnd(20)} 4096                 files\n`);
    expect(connectionsAllowedByFileLimit(file)).toBe(expected);
  });

  it("is null where the limits cannot be read", () => {
    expect(connectionsAllowedByFileLimit("/nonexistent/limits")).toBeNull();
  });
});

describe("UdpReceiver", () => {
  it("parses datagrams, and counts the ones dropped while paused", async () => {
    const sink = collector();
    let dropped = 0;
    const r = new UdpReceiver({ decode: (msg) => plaintext.datagram!(msg, sink, { maxLineLength: 4096 }), onChunk: () => {}, logger, dropped: () => dropped++ });
    const { port } = await r.listen("127.0.0.1", 0);
    cleanups.push(() => r.close());
    const s = createSocket("udp4");
    cleanups.push(() => s.close());
    const send = (text: string) => new Promise<void>((res) => s.send(text, port, "127.0.0.1", () => res()));
    await send("u.a 1 100\nu.b 2 100");
    await until(() => sink.events.length === 2);
    r.pause();
    for (let i = 0; i < 5; i++) await send(`u.dropped ${i} 100\n`);
    await until(() => dropped === 5);
    r.resume();
    await send("u.c 3 100\n");
    await until(() => sink.events.length === 3);
    expect(names(sink)).toEqual(["u.a=1@100", "u.b=2@100", "u.c=3@100"]);
    expect(dropped).toBe(5);
  });
});
