import { createServer, Socket, type AddressInfo, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { COMMIT_PATTERNS, startFaultProxy, type CutMode, type FaultProxy } from "./fault-proxy.js";

/**
 * A server that records what it receives and answers each chunk with
 * `ok:<bytes so far>`: enough to see what was forwarded and what answer
 * the client got.
 */
async function recorder(): Promise<{ server: Server; port: number; received: () => string }> {
  let got = "";
  const server = createServer((s) => {
    s.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      s.write(`ok:${got.length};`);
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, port: (server.address() as AddressInfo).port, received: () => got };
}

/** Connect, send `chunks` one by one (a pause between them), and collect what comes back until the proxy closes or 300 ms pass. */
async function talk(port: number, chunks: Buffer[]): Promise<{ reply: string; closed: boolean }> {
  const s = new Socket();
  let reply = "";
  let closed = false;
  s.on("data", (d: Buffer) => (reply += d.toString("latin1")));
  s.on("close", () => (closed = true));
  s.on("error", () => {});
  await new Promise<void>((r) => s.connect(port, "127.0.0.1", () => r()));
  for (const c of chunks) {
    if (closed) break;
    s.write(c);
    await new Promise((r) => setTimeout(r, 40));
  }
  await new Promise((r) => setTimeout(r, 300));
  s.destroy();
  return { reply, closed };
}

const pg = COMMIT_PATTERNS.postgres;
const before = Buffer.from("Q\u0000\u0000\u0000\u000aBEGIN\u0000", "latin1");

describe("fault proxy", () => {
  let proxy: FaultProxy | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    await proxy?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  async function setup() {
    const rec = await recorder();
    server = rec.server;
    proxy = await startFaultProxy({ target: { host: "127.0.0.1", port: rec.port }, patterns: [pg] });
    return { rec, proxy };
  }

  it("disarmed, it forwards both ways untouched", async () => {
    const { rec, proxy } = await setup();
    const out = await talk(proxy.port, [before, pg]);
    expect(rec.received()).toBe(before.toString("latin1") + pg.toString("latin1"));
    expect(out.reply).toBe(`ok:${before.length};ok:${before.length + pg.length};`);
    expect(proxy.cuts).toBe(0);
  });

  it.each<[CutMode, boolean]>([
    ["after-reply", true],
    ["at-once", true],
    ["drop-request", false],
  ])("armed %s: the request reaches the server: %s; the client gets no answer to it and is cut off", async (mode, forwarded) => {
    const { rec, proxy } = await setup();
    proxy.arm(mode);
    const out = await talk(proxy.port, [before, pg, before]);
    expect(rec.received()).toBe(before.toString("latin1") + (forwarded ? pg.toString("latin1") : ""));
    // Only the answer to what came before the cut request.
    expect(out.reply).toBe(`ok:${before.length};`);
    expect(out.closed).toBe(true);
    expect(proxy.cuts).toBe(1);
    expect(proxy.armed).toBe(false);
  });

  it("finds the request split at every position across two chunks", async () => {
    for (let at = 1; at < pg.length; at++) {
      const { rec, proxy: p } = await setup();
      p.arm("after-reply");
      const out = await talk(p.port, [Buffer.concat([before, pg.subarray(0, at)]), pg.subarray(at)]);
      expect(rec.received(), `split at ${at}`).toBe(before.toString("latin1") + pg.toString("latin1"));
      expect(out.reply, `split at ${at}`).toBe(`ok:${before.length + at};`);
      expect(p.cuts, `split at ${at}`).toBe(1);
      await p.close();
      await new Promise<void>((r) => rec.server.close(() => r()));
      proxy = undefined;
      server = undefined;
    }
  });

  it("one cut per arm; later connections pass untouched", async () => {
    const { proxy } = await setup();
    proxy.arm();
    await talk(proxy.port, [pg]);
    const second = await talk(proxy.port, [pg]);
    expect(second.reply).toBe(`ok:${pg.length * 2};`);
    expect(proxy.cuts).toBe(1);
    expect(proxy.connections).toBe(2);
  });
});
