/**
 * karbon's pickle port with real senders: Python's own pickle.dumps over
 * TCP (protocols 0, 1 and 2, also under --workers), and hostile pickles,
 * each closing only its own connection while karbon keeps serving the
 * others and loses nothing it accepted. Points are read back from SQLite.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../src/timeseries/backends/sqlite/sqlite-store.js";
import { Timeseries } from "../src/timeseries/index.js";
import { frame, pickleBatch, type CarbonPoint } from "../src/ingest/protocols/pickle/pickle-encoder.case.js";
import { eventually, reapChildren, spawnCli, type Spawned } from "./helpers/processes.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "torus-pickle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => reapChildren());
let n = 0;
const NOW = Math.floor(Date.now() / 1000);

/** A count schema for `c.*` on a fresh SQLite file. */
function pickleSetup(extra = ""): { db: string; config: string } {
  const db = join(dir, `p${n}.db`);
  const config = join(dir, `p${n++}.ts`);
  writeFileSync(
    config,
    `export default {
  SCHEMAS: { counts: { type: "count", host: "sqlite:///${db}", match: "^c\\\\.", intervals: { minute: { step: 60 } }, client_config: { busy_timeout: 50 } } },
  FLUSH_INTERVAL: 100,
  ${extra}
};
`,
  );
  return { db, config };
}

async function startKarbon(config: string, extra: string[] = []): Promise<{ k: Spawned; pickle: number; metrics: number }> {
  const k = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--pickle", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", config, ...extra]);
  const log = await k.waitForLog("karbon listening");
  return { k, pickle: log.pickle.port, metrics: log.metrics.port };
}

/** The total of each name over the last two hours. */
async function totals(db: string, names: readonly string[]): Promise<Record<string, number>> {
  const store = new SqliteStore(`sqlite:///${db}`);
  try {
    const ts = new Timeseries(store, { type: "count", intervals: { minute: { step: 60 } }, prefix: "counts" });
    const out: Record<string, number> = {};
    for (const name of names) out[name] = [...(await ts.series(name, "minute", { start: NOW - 7200, end: NOW + 60, collapse: true })).values()][0] as number;
    return out;
  } finally {
    await store.close();
  }
}

async function badCount(port: number, reason: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(`karbon_bad_lines_total{reason="${reason}"}`)) sum += Number(line.split(" ").pop());
  return sum;
}

/** Carbon-relay-shaped batches: many names, a few points each, frames of at most 500 points (its MAX_DATAPOINTS_PER_MESSAGE). */
function relayBatch(prefix: string, count: number): CarbonPoint[] {
  return Array.from({ length: count }, (_, i) => ({ name: `c.${prefix}.n${i % 25}`, timestamp: NOW - 600 + (i % 300), value: (i % 5) + 1 }));
}
const sums = (points: readonly CarbonPoint[]) => {
  const out: Record<string, number> = {};
  for (const p of points) out[p.name] = (out[p.name] ?? 0) + Number(p.value);
  return out;
};

/** Python sends `points` with pickle.dumps(protocol) in frames of `per` points over `connections` connections. */
async function pythonSend(port: number, points: readonly CarbonPoint[], protocol: number, per = 500, connections = 1): Promise<void> {
  const file = join(dir, `send${n++}.json`);
  writeFileSync(file, JSON.stringify(points.map((p) => [p.name, p.timestamp, p.value])));
  const script = `
import json, pickle, socket, struct, sys
points = [(p[0], (p[1], p[2])) for p in json.load(open(sys.argv[1]))]
port, protocol, per, conns = (int(a) for a in sys.argv[2:6])
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(conns)]
for k, i in enumerate(range(0, len(points), per)):
    body = pickle.dumps(points[i:i + per], protocol=protocol)
    socks[k % conns].sendall(struct.pack("!L", len(body)) + body)
for s in socks:
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
`;
  await run("/usr/bin/python3", ["-c", script, file, String(port), String(protocol), String(per), String(connections)]);
}

describe("karbon --pickle with Python's pickle.dumps", () => {
  it("protocols 0, 1 and 2 over TCP: every point stored", async () => {
    const { db, config } = pickleSetup();
    const { k, pickle } = await startKarbon(config);
    const all: CarbonPoint[] = [];
    for (const protocol of [0, 1, 2]) {
      const points = relayBatch(`py${protocol}`, 1200);
      all.push(...points);
      await pythonSend(pickle, points, protocol);
    }
    const want = sums(all);
    await eventually(async () => JSON.stringify(await totals(db, Object.keys(want))) === JSON.stringify(want), 15_000, 200);
    expect(await k.stop()).toBe(0);
  }, 60_000);

  it("under --workers 2, over several connections: every point stored", async () => {
    const { db, config } = pickleSetup();
    const { k, pickle } = await startKarbon(config, ["--workers", "2"]);
    const points = relayBatch("workers", 4000);
    await pythonSend(pickle, points, 2, 250, 4);
    const want = sums(points);
    await eventually(async () => JSON.stringify(await totals(db, Object.keys(want))) === JSON.stringify(want), 20_000, 250);
    expect(await k.stop()).toBe(0);
  }, 60_000);
});

/** Open a connection; resolves once connected. `closed` resolves when karbon closes it. */
function open(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => resolve({ socket, closed }));
    const closed = new Promise<void>((r) => socket.on("close", () => r()));
    socket.on("error", reject);
  });
}

function python(expr: string): Promise<Buffer> {
  return run("/usr/bin/python3", ["-c", `import os, pickle, sys\nsys.stdout.write((${expr}).hex())`]).then(({ stdout }) => Buffer.from(stdout, "hex"));
}

describe("karbon --pickle and hostile pickles", () => {
  it("each closes its own connection, is counted, runs nothing; other connections and accepted points are kept", async () => {
    const { db, config } = pickleSetup("MAX_PICKLE_FRAME: 65536,");
    const { k, pickle, metrics } = await startKarbon(config);
    const marker = join(dir, "pwned");
    const reduce = (protocol: number) => `pickle.dumps([type("X", (), {"__reduce__": lambda self: (os.system, ("touch ${marker}",))})()], protocol=${protocol})`;
    const hostile: Array<[label: string, reason: string, bytes: Buffer]> = [
      ["os.system via GLOBAL/REDUCE", "pickle_unsafe_opcode", frame(await python(reduce(2)))],
      ["os.system via GLOBAL/REDUCE, protocol 0", "pickle_unsafe_opcode", frame(await python(reduce(0)))],
      ["os.system via STACK_GLOBAL", "pickle_unsafe_opcode", frame(await python(reduce(4)))],
      ["deep nesting", "pickle_too_deep", frame(Buffer.from(`]${"\x85".repeat(50_000)}.`, "latin1"))],
      ["a huge length", "pickle_frame_too_long", Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x80, 0x02])],
      ["a frame over MAX_PICKLE_FRAME", "pickle_frame_too_long", frame(await python("pickle.dumps([('c.x', (i, 1)) for i in range(20000)], protocol=2)"))],
      ["a huge string length inside a frame", "pickle_malformed", frame(Buffer.from("\x80\x02X\xff\xff\xff\xff.", "latin1"))],
      ["garbage", "pickle_unsupported_opcode", frame(Buffer.from("\xff\xfe\x00garbage", "latin1"))],
      ["plaintext on the pickle port", "pickle_frame_too_long", Buffer.from(`c.plain 1 ${NOW}\n`)],
    ];
    // A connection open through all of it, sending before and after.
    const bystander = await open(pickle);
    const kept: CarbonPoint[] = [];
    const send = (socket: Socket, prefix: string) => {
      const points = relayBatch(prefix, 50);
      kept.push(...points);
      socket.write(frame(pickleBatch(points, "python2")));
    };
    send(bystander.socket, "bystander.before");
    for (const [i, [label, reason, bytes]] of hostile.entries()) {
      const before = await badCount(metrics, reason);
      const c = await open(pickle);
      send(c.socket, `victim${i}`); // accepted before the hostile frame: must be stored
      c.socket.write(bytes);
      await c.closed; // karbon closed it
      await eventually(async () => (await badCount(metrics, reason)) === before + 1, 5000, 50);
      expect(existsSync(marker), label).toBe(false);
      send(bystander.socket, `bystander.after${i}`);
    }
    // A truncated frame: the sender closes mid-frame; counted, the connection's earlier frames kept.
    const t = await open(pickle);
    send(t.socket, "truncated");
    const f = frame(pickleBatch(relayBatch("lost", 10), "python2"));
    t.socket.end(f.subarray(0, f.length - 3));
    await t.closed;
    await eventually(async () => (await badCount(metrics, "pickle_truncated")) === 1, 5000, 50);
    bystander.socket.end();
    await bystander.closed;
    const want = sums(kept);
    await eventually(async () => JSON.stringify(await totals(db, Object.keys(want))) === JSON.stringify(want), 15_000, 200);
    expect(await totals(db, ["c.lost.n0", "c.x", "c.plain"])).toEqual({ "c.lost.n0": null, "c.x": null, "c.plain": null });
    expect(await k.stop()).toBe(0);
  }, 90_000);
});

describe("karbon --pickle and bad points", () => {
  it("validates each point as plaintext's: bad ones counted by reason, the rest of the frame stored", async () => {
    const { db, config } = pickleSetup();
    const { k, pickle, metrics } = await startKarbon(config);
    const body = await python(
      `pickle.dumps([('c.good.a', (${NOW}, 2)), ('c.bad.value', (${NOW}, 'abc')), ('c.bad.future', (${NOW + 10_000_000}, 1)), ('c.bad name', (${NOW}, 1)), ('c.bad.ts', (-1, 1)), ('c.bad.shape', ${NOW}, 1), ('c.good.b', ('${NOW}.5', '3'))], protocol=2)`,
    );
    const c = await open(pickle);
    c.socket.end(frame(body));
    await c.closed;
    await eventually(async () => JSON.stringify(await totals(db, ["c.good.a", "c.good.b"])) === JSON.stringify({ "c.good.a": 2, "c.good.b": 3 }), 10_000, 100);
    const counts = Object.fromEntries(await Promise.all(["bad_value", "too_far_future", "pickle_bad_name", "pickle_bad_timestamp", "pickle_bad_point"].map(async (r) => [r, await badCount(metrics, r)])));
    expect(counts).toEqual({ bad_value: 1, too_far_future: 1, pickle_bad_name: 1, pickle_bad_timestamp: 1, pickle_bad_point: 1 });
    expect(await totals(db, ["c.bad.value", "c.bad.future", "c.bad.ts"])).toEqual({ "c.bad.value": null, "c.bad.future": null, "c.bad.ts": null });
    expect(await k.stop()).toBe(0);
  }, 60_000);
});

describe("karbon --pickle and idle connections", () => {
  it("closes a connection idle in the middle of a frame, counting it idle_partial, keeping its earlier frames", async () => {
    const { db, config } = pickleSetup("TCP_IDLE_TIMEOUT: 0.5,");
    const { k, pickle, metrics } = await startKarbon(config);
    const points = relayBatch("idle", 40);
    const f = frame(pickleBatch(relayBatch("idle.lost", 5), "python2"));
    const c = await open(pickle);
    c.socket.write(Buffer.concat([frame(pickleBatch(points, "python2")), f.subarray(0, 20)]));
    await c.closed;
    await eventually(async () => (await badCount(metrics, "idle_partial")) === 1, 5000, 50);
    const want = sums(points);
    await eventually(async () => JSON.stringify(await totals(db, Object.keys(want))) === JSON.stringify(want), 10_000, 100);
    expect(await totals(db, ["c.idle.lost.n0"])).toEqual({ "c.idle.lost.n0": null });
    expect(await k.stop()).toBe(0);
  }, 60_000);
});

describe("torus start --pickle", () => {
  it("takes pickles in the same process as the query server", async () => {
    const { db, config } = pickleSetup();
    const t = spawnCli("torus-main.ts", ["start", "--tcp", "127.0.0.1:0", "--karbon", "127.0.0.1:0", "--pickle", "127.0.0.1:0", "--config", config]);
    const log = await t.waitForLog("torus listening");
    const points = relayBatch("start", 300);
    await pythonSend(log.pickle.port, points, 2);
    const want = sums(points);
    await eventually(async () => JSON.stringify(await totals(db, Object.keys(want))) === JSON.stringify(want), 15_000, 200);
    expect(await t.stop()).toBe(0);
  }, 60_000);
});

describe("tagged names through pickle", () => {
  it("stores a tagged name canonically (tags sorted) and answers it to seriesByTag", async () => {
    const { db, config } = pickleSetup();
    const t = spawnCli("torus-main.ts", ["start", "--tcp", "127.0.0.1:0", "--karbon", "127.0.0.1:0", "--pickle", "127.0.0.1:0", "--config", config]);
    const log = await t.waitForLog("torus listening");
    const ts = NOW - 60;
    // Tags out of order, twice the same series in another order, and Prometheus-style braces.
    const sent: CarbonPoint[] = [
      { name: "c.disk;host=h1;dc=east", timestamp: ts, value: 2 },
      { name: "c.disk;dc=east;host=h1", timestamp: ts, value: 3 },
      { name: "c.disk;host=h2;dc=west", timestamp: ts, value: 7 },
      { name: 'c.disk{host="h3",dc="east"}', timestamp: ts, value: 11 },
    ];
    await pythonSend(log.pickle.port, sent, 2);
    const want = { "c.disk;dc=east;host=h1": 5, "c.disk;dc=east;host=h3": 11, "c.disk;dc=west;host=h2": 7 };
    await eventually(async () => JSON.stringify(await totals(db, Object.keys(want))) === JSON.stringify(want), 15_000, 200);
    expect(await totals(db, ["c.disk;host=h1;dc=east"]), "no name stored as sent").toEqual({ "c.disk;host=h1;dc=east": null });
    const target = encodeURIComponent("seriesByTag('name=c.disk','dc=east')");
    const url = `http://127.0.0.1:${log.http.port}/render?target=${target}&from=-10min&until=now&format=json`;
    let body: Array<{ target: string; tags: Record<string, string>; datapoints: Array<[number | null, number]> }> = [];
    await eventually(async () => {
      body = (await (await fetch(url)).json()) as typeof body;
      return body.length === 2;
    }, 15_000, 200);
    expect(body.map((s) => s.target)).toEqual(["c.disk;dc=east;host=h1", "c.disk;dc=east;host=h3"]);
    expect(body[0].tags).toEqual({ dc: "east", host: "h1", name: "c.disk" });
    expect(body.map((s) => s.datapoints.map((p) => p[0]).filter((v) => v !== null))).toEqual([[5], [11]]);
    expect(await t.stop()).toBe(0);
  }, 60_000);
});
