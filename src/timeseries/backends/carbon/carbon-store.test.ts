import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { StoreError, TorusError } from "../../errors.js";
import { openStore } from "../open-store.js";
import { Timeseries } from "../../timeseries.js";
import { WriteBatch } from "../../write-batch.js";
import { CarbonRelayStore } from "./carbon-store.js";
import { parseRelayUrl } from "./carbon-url.js";
import { FakeCarbon, until } from "./fake-carbon.case.js";

const T = 1_700_000_000;
const open: Array<{ close(): Promise<unknown> }> = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function receiver(protocol: "plaintext" | "pickle", port = 0): Promise<FakeCarbon> {
  const r = new FakeCarbon(protocol);
  await r.start(port);
  open.push({ close: () => r.stop() });
  return r;
}

function relay(url: string, config: Record<string, unknown> = {}, onState?: ConstructorParameters<typeof CarbonRelayStore>[2]): CarbonRelayStore {
  // Short defaults keep the tests quick; each test sets what it checks.
  const store = new CarbonRelayStore(url, { confirm_ms: 30, backoff_min_ms: 20, backoff_max_ms: 200, close_timeout_ms: 500, ...config }, onState);
  open.push(store);
  return store;
}

/** Raw points as `name value ts` written one batch per call through a one-second series schema. */
function series(store: CarbonRelayStore) {
  const ts = new Timeseries(store, { type: "series", intervals: { raw: { step: 1 } }, clock: () => T + 100 });
  return (points: Array<[string, number, number]>) => {
    const batch = new WriteBatch();
    for (const [name, value, t] of points) ts.stage(batch, name, value, t);
    return store.write(batch);
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => [`m.p${(from + i) % 7}`, from + i, T + from + i] as [string, number, number]);
const asLines = (pts: Array<[string, number, number]>) => pts.map(([n, v, t]) => `${n} ${v} ${t}`);
/** A batch keeps each name's points in arrival order, names in the order first staged: what a relay sends of one batch. */
function byName<P extends [string, ...unknown[]]>(pts: P[]): P[] {
  const groups = new Map<string, P[]>();
  for (const p of pts) {
    const g = groups.get(p[0]);
    if (g) g.push(p);
    else groups.set(p[0], [p]);
  }
  return [...groups.values()].flat();
}

describe("carbon:// relay", () => {
  it("opens for carbon:// and carbon+pickle:// with Carbon's default ports, and names bad URLs and options", async () => {
    expect(parseRelayUrl("carbon://10.0.0.1", {})).toMatchObject({ protocol: "plaintext", host: "10.0.0.1", port: 2003, maxQueue: 500_000 });
    expect(parseRelayUrl("carbon+pickle://[::1]:2104", { max_queue: 7 })).toMatchObject({ protocol: "pickle", host: "::1", port: 2104, maxQueue: 7 });
    expect(() => parseRelayUrl("carbon://h:99999", {})).toThrow(/port 99999 is out of range/);
    expect(() => parseRelayUrl("carbon://h:2003/path", {})).toThrow(/scheme:\/\/host:port and nothing else/);
    expect(() => parseRelayUrl("carbon://h", { max_queue: -1 })).toThrow(/client_config.max_queue .* at least 1/);
    expect(() => parseRelayUrl("carbon://h", { maxqueue: 1 })).toThrow(/not a relay option \(have max_queue/);
    const store = await openStore("carbon+pickle://127.0.0.1:1");
    open.push(store);
    expect(store).toBeInstanceOf(CarbonRelayStore);
  });

  it("forwards each point as a plaintext line, in order, and counts it sent once held on an open connection", async () => {
    const r = await receiver("plaintext");
    const store = relay(`carbon://127.0.0.1:${r.port}`);
    const write = series(store);
    const pts = lines(50);
    await write(pts.slice(0, 20));
    await write(pts.slice(20));
    await until(() => r.lines.length === 50, 15_000, "50 lines");
    expect(r.lines).toEqual(asLines([...byName(pts.slice(0, 20)), ...byName(pts.slice(20))]));
    await until(() => store.relayStats().sent === 50, 15_000, "sent = 50");
    expect(store.relayStats()).toMatchObject({ sent: 50, queued: 0, resent: 0, connected: true, dropped: {} });
    expect(r.connections).toBe(1);
  });

  it("sends pickle frames of at most batch_points points that Python unpickles to the points", async () => {
    const r = await receiver("pickle");
    const store = relay(`carbon+pickle://127.0.0.1:${r.port}`, { batch_points: 3 });
    const pts = lines(10);
    await series(store)(pts);
    await until(() => r.frames.length === 4, 15_000, "4 frames");
    const decoded = JSON.parse(
      execFileSync("/usr/bin/python3", ["-c", "import sys, json, pickle, base64\nprint(json.dumps([pickle.loads(base64.b64decode(l)) for l in sys.stdin]))"], {
        input: r.frames.map((f) => f.toString("base64")).join("\n") + "\n",
        encoding: "utf8",
      }),
    );
    expect(decoded.map((f: unknown[]) => f.length)).toEqual([3, 3, 3, 1]);
    expect(decoded.flat()).toEqual(byName(pts).map(([n, v, t]) => [n, [t, v]]));
  });

  it("re-sends what a failed connection had not been seen to deliver, and nothing is missing after the receiver restarts", async () => {
    const r = await receiver("plaintext");
    const port = r.port;
    const store = relay(`carbon://127.0.0.1:${port}`, { confirm_ms: 300 });
    const write = series(store);
    await write(lines(40));
    await until(() => r.lines.length === 40, 15_000, "first 40 lines");
    // Written within confirm_ms: the sender holds them; a dropped connection must bring them back.
    r.dropConnections();
    await until(() => r.lines.length === 80, 15_000, "40 lines re-sent");
    expect(store.relayStats().resent).toBe(40);
    expect(r.lines.slice(40)).toEqual(r.lines.slice(0, 40));
    // Now stop the receiver outright while writes go on, then start it again on the same port.
    await r.stop();
    for (let i = 40; i < 100; i += 10) await write(lines(10, i));
    await until(() => !store.relayStats().connected, 15_000, "disconnected");
    await new Promise((res) => setTimeout(res, 100));
    const again = await receiver("plaintext", port);
    await until(() => store.relayStats().sent === 100 && store.relayStats().queued === 0, 15_000, "all 100 points sent");
    const got = new Set([...r.lines, ...again.lines]);
    expect([...got].sort()).toEqual(asLines(lines(100)).sort());
  });

  it("reconnects with exponential backoff up to backoff_max_ms while nothing listens", async () => {
    const port = await freePort();
    const delays: number[] = [];
    const store = relay(`carbon://127.0.0.1:${port}`, { backoff_min_ms: 10, backoff_max_ms: 80 }, (state, d) => {
      if (state === "disconnected") delays.push(d.retryInMs!);
    });
    await series(store)(lines(1));
    await until(() => delays.length >= 6, 15_000, "six failed attempts");
    expect(delays.slice(0, 6)).toEqual([10, 20, 40, 80, 80, 80]);
    // Once a receiver is there the point goes out, and the backoff starts afresh.
    const r = await receiver("plaintext", port);
    await until(() => store.relayStats().sent === 1, 15_000, "sent after reconnecting");
    expect(r.lines).toEqual(asLines(lines(1)));
    expect(store.handle.backoffMs).toBe(0);
  });

  it("bounds its queue: a write that does not fit waits write_wait_ms, then fails retryably with nothing taken", async () => {
    const port = await freePort();
    const store = relay(`carbon://127.0.0.1:${port}`, { max_queue: 10, write_wait_ms: 150, backoff_max_ms: 20 });
    const write = series(store);
    await write(lines(6));
    const started = Date.now();
    const err = await write(lines(6, 6)).catch((e) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/relay queue full: 6 points waiting for 127\.0\.0\.1:\d+ \(not connected\)/);
    expect(store.relayStats().queued).toBe(6);
    // Room comes back once the receiver takes the queue: a waiting write then goes in.
    const waiting = write(lines(6, 6));
    const r = await receiver("plaintext", port);
    await waiting;
    await until(() => store.relayStats().sent === 12, 15_000, "12 sent");
    expect(r.lines).toEqual(asLines([...byName(lines(6)), ...byName(lines(6, 6))]));
  });

  it("a batch larger than the whole queue still goes in when the queue is empty (it would never fit otherwise)", async () => {
    const r = await receiver("plaintext");
    const store = relay(`carbon://127.0.0.1:${r.port}`, { max_queue: 5 });
    await series(store)(lines(20));
    await until(() => r.lines.length === 20, 15_000, "20 lines");
  });

  it("refuses reads, listings, properties and deletes with TORUS_ERR_RELAY_READ; expire is a no-op", async () => {
    const store = relay("carbon://127.0.0.1:1");
    const ns = { prefix: "", type: "series" as const };
    for (const call of [() => store.read(ns, ["a"], "raw", 0, 1), () => store.list(ns), () => store.properties(ns, "a"), () => store.delete(ns, "a"), () => store.deleteAll(ns)]) {
      const err = await call().catch((e) => e);
      expect(err).toBeInstanceOf(TorusError);
      expect(err.code).toBe("TORUS_ERR_RELAY_READ");
      expect(err.message).toMatch(/"carbon:\/\/127\.0\.0\.1:1" is a relay to Carbon/);
    }
    await expect(store.expire()).resolves.toBeUndefined();
  });

  it("close sends what is queued; what cannot be sent by close_timeout_ms is counted dropped", async () => {
    const r = await receiver("plaintext");
    const a = relay(`carbon://127.0.0.1:${r.port}`, { confirm_ms: 100 });
    await series(a)(lines(30));
    await a.close();
    expect(r.lines).toHaveLength(30);
    expect(a.relayStats()).toMatchObject({ sent: 30, queued: 0 });
    const port = await freePort();
    const b = relay(`carbon://127.0.0.1:${port}`, { close_timeout_ms: 100 });
    await series(b)(lines(5));
    await b.close();
    expect(b.relayStats().dropped).toEqual({ shutdown: 5 });
    await expect(series(b)(lines(1))).rejects.toThrow(/relay is closed/);
  });
});
