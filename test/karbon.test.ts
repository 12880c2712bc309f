/**
 * karbon as a real process: real sockets in, a real SQLite file (or a
 * private Redis) out, read back through the timeseries library.
 */
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../src/timeseries/backends/sqlite/sqlite-store.js";
import { Timeseries } from "../src/timeseries/index.js";
import { ROOT, eventually, freePort, reapChildren, sendTcp, sleep, spawnCli, wrap, type Spawned } from "./helpers/processes.js";

const dir = mkdtempSync(join(tmpdir(), "torus-karbon-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// A failing test leaves no karbon behind.
afterEach(() => reapChildren());
let n = 0;

interface Setup {
  db: string;
  config: string;
}

/** A config with a count schema, a set schema for text values and an aggregate, on a fresh SQLite file. */
function setup(extra = ""): Setup {
  const db = join(dir, `k${n}.db`);
  const config = join(dir, `k${n++}.ts`);
  writeFileSync(
    config,
    `import { defineConfig } from "torus";
export default defineConfig({
  SCHEMAS: {
    counts: { type: "count", host: "sqlite:///${db}", match: "^c\\\\.", intervals: { minute: { step: 60 }, hour: { step: "1h", resolution: 600 } }, client_config: { busy_timeout: 20 } },
    words: { type: "set", host: "sqlite:///${db}", match: "^words\\\\.", write_func: (v: unknown) => String(v), intervals: { minute: { step: 60 } }, client_config: { busy_timeout: 20 } },
  },
  AGGREGATES: [["c.all.<k>", "c.*.<k>"]],
  FLUSH_INTERVAL: 100,
  ${extra}
});
`,
  );
  return { db, config };
}

async function startKarbon(config: string, extraArgs: string[] = []): Promise<{ k: Spawned; port: number; metricsPort: number }> {
  const k = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", config, ...extraArgs]);
  const log = await k.waitForLog("karbon listening");
  return { k, port: log.tcp.port, metricsPort: log.metrics.port };
}

function reader(db: string, type: "count" | "set" = "count", intervals: Record<string, any> = { minute: { step: 60 }, hour: { step: "1h", resolution: 600 } }) {
  const store = new SqliteStore(`sqlite:///${db}`);
  // Each schema's rows live under its name (the default prefix): "counts" for counts, "words" for the set.
  return { store, ts: new Timeseries(store, { type, intervals, prefix: type === "set" ? "words" : "counts" }) };
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(name)) sum += Number(line.split(" ").pop());
  return sum;
}

const NOW = Math.floor(Date.now() / 1000);

describe("karbon process", () => {
  it("accepts every protocol form over TCP, skips bad lines, keeps the connection open", async () => {
    const { db, config } = setup();
    const { k, port, metricsPort } = await startKarbon(config);
    const t = NOW - 30;
    const good = [
      `c.web.hits 3 ${t}\n`,
      `c.web.hits\t4\t${t}\r\n`, // tabs and CRLF
      `c.api.hits 5 ${t}.75\n`, // decimal timestamp, truncated
      `  c.api.hits   6   ${t}  \n`, // runs of spaces
      `words.w  foo bar  ${t}\n`, // a value with spaces
      `c.ünï.名前 7 ${t}\n`, // Unicode name
    ];
    const bad = [`just-a-name\n`, `c.web.hits 1 notatime\n`, `c.web.hits abc ${t}\n`, `${"x".repeat(10_000)} 1 ${t}\n`];
    const stream = Buffer.from([...good.slice(0, 3), ...bad, ...good.slice(3)].join(""), "utf8");
    // Cut the stream everywhere awkward, including inside the multi-byte characters.
    const cuts = [5, 17, 40, stream.indexOf(Buffer.from("ü")) + 1, stream.indexOf(Buffer.from("名")) + 2, stream.length - 3];
    const chunks: Buffer[] = [];
    let last = 0;
    for (const c of cuts.sort((a, b) => a - b)) {
      chunks.push(stream.subarray(last, c));
      last = c;
    }
    chunks.push(stream.subarray(last));
    await sendTcp(port, chunks);

    const { store, ts } = reader(db);
    const words = new Timeseries(store, { type: "set", intervals: { minute: { step: 60 } }, prefix: "words", read_func: (v) => v });
    await eventually(async () => (await ts.get("c.all.hits", "minute", { timestamp: t })) === 3 + 4 + 5 + 6);
    expect(await ts.get("c.web.hits", "minute", { timestamp: t })).toBe(7);
    expect(await ts.get("c.api.hits", "minute", { timestamp: t })).toBe(11);
    expect(await ts.get("c.ünï.名前", "minute", { timestamp: t })).toBe(7);
    expect(await words.get("words.w", "minute", { timestamp: t })).toEqual(new Set(["foo bar"]));
    expect(await ts.get("c.web.hits", "hour", { timestamp: t, condense: true })).toBe(7);
    expect(await metric(metricsPort, "karbon_bad_lines_total")).toBe(bad.length);
    expect(await metric(metricsPort, "karbon_points_received_total")).toBe(good.length + 1); // "abc" parses, then write_func rejects it
    expect(await metric(metricsPort, 'karbon_bad_lines_total{reason="bad_value"}')).toBe(1);
    await store.close();
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  });

  it("SIGTERM flushes everything accepted; a restart on the same file continues", async () => {
    const { db, config } = setup("FLUSH_INTERVAL: 600000,"); // nothing flushes by timer
    const N = 20_000;
    const lines = Array.from({ length: N }, (_, i) => `c.s${i % 500}.n ${1 + (i % 3)} ${NOW - (i % 50) * 60}\n`).join("");
    const expected = Array.from({ length: N }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0);
    let { k, port } = await startKarbon(config);
    await sendTcp(port, [lines]);
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
    expect(k.output()).toMatch(/stopped cleanly/);
    const total = async () => {
      const { store, ts } = reader(db);
      const all = await ts.series("c.all.n", "minute", { start: NOW - 60 * 60, end: NOW, collapse: true });
      await store.close();
      return [...all.values()][0];
    };
    expect(await total()).toBe(expected);
    ({ k, port } = await startKarbon(config));
    await sendTcp(port, [lines]);
    k.kill("SIGINT");
    expect(await k.exited).toBe(0);
    expect(await total()).toBe(2 * expected);
  });

  it("keeps data while the store refuses writes, pushes back on senders, and stores all once it returns", async () => {
    const { db, config } = setup("BUFFER_MAX_ROWS: 1000,");
    const { k, port, metricsPort } = await startKarbon(config);
    // Take the SQLite write lock from another connection: karbon's flushes now fail (SQLITE_BUSY).
    const blocker = new Database(db);
    blocker.pragma("journal_mode = WAL");
    blocker.exec("CREATE TABLE IF NOT EXISTS hold (x)");
    blocker.exec("BEGIN IMMEDIATE; INSERT INTO hold VALUES (1);");
    const N = 60_000; // 2 rows each, distinct: far past the 1,000-row bound
    const lines = Array.from({ length: N }, (_, i) => `c.p${i}.v 1 ${NOW - 60}\n`).join("");
    let sent = false;
    const sending = sendTcp(port, [lines]).then(() => (sent = true));
    await k.waitForLog("write buffer full: pausing input until the store catches up");
    await eventually(async () => (await metric(metricsPort, "karbon_flush_failures_total")) > 0);
    await sleep(500);
    expect(sent).toBe(false); // the sender is held back by TCP, nothing dropped
    blocker.exec("COMMIT");
    blocker.close();
    await sending;
    const { store, ts } = reader(db);
    await eventually(async () => (await ts.get("c.all.v", "minute", { timestamp: NOW - 60 })) === N, 40_000, 250);
    expect(k.output()).toMatch(/write buffer drained: resuming input/);
    expect(k.output()).toMatch(/store is writable again/);
    await store.close();
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  }, 90_000);

  it("SIGHUP reloads the configuration; a broken reload keeps the running one", async () => {
    const { db, config } = setup();
    const { k, port } = await startKarbon(config);
    await sendTcp(port, [`new.x 1 ${NOW}\n`]); // no schema yet: a dead letter
    const original = (await import("node:fs")).readFileSync(config, "utf8");
    writeFileSync(config, original.replace(`match: "^c\\\\."`, `match: ["^c\\\\.", "^new\\\\."]`));
    k.kill("SIGHUP");
    await k.waitForLog("configuration reloaded");
    await sendTcp(port, [`new.x 2 ${NOW}\n`]);
    writeFileSync(config, `export const SCHEMAS = { broken: { type: "counter", match: "x", intervals: { m: { step: 60 } } } };`);
    k.kill("SIGHUP");
    await k.waitForLog("reload failed; keeping the running configuration");
    expect(k.output()).toMatch(/schema \\"broken\\": type: unknown type \\"counter\\"/);
    await sendTcp(port, [`new.x 4 ${NOW}\n`]);
    const { store, ts } = reader(db);
    await eventually(async () => (await ts.get("new.x", "minute", { timestamp: NOW })) === 6);
    await store.close();
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  });

  it("takes UDP datagrams, and logs the seed's vocabulary at DEBUG 2", async () => {
    const { db, config } = setup("DEBUG: 2,");
    const udpPort = await freePort(true);
    const { k, metricsPort } = await startKarbon(config, ["--udp", `127.0.0.1:${udpPort}`]);
    const t = NOW - 10;
    const socket = createSocket("udp4");
    const datagrams = [`c.u.hits 2 ${t}\nc.u.hits 3 ${t}\n`, `c.v.hits 4 ${t}\nnot a valid line at all\n`];
    for (const d of datagrams) await new Promise<void>((r) => socket.send(d, udpPort, "127.0.0.1", () => r()));
    socket.close();
    const { store, ts } = reader(db);
    await eventually(async () => (await ts.get("c.all.hits", "minute", { timestamp: t })) === 9);
    expect(await ts.get("c.u.hits", "minute", { timestamp: t })).toBe(5);
    expect(await metric(metricsPort, "karbon_bad_lines_total")).toBe(1);
    await k.waitForLog("DONE");
    const logs = k.output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    const msgs = new Set(logs.map((l) => l.msg));
    for (const m of ["RECV", "STOR", "AGRT", "DONE", "SKIP"]) expect(msgs, m).toContain(m);
    expect(logs.find((l) => l.msg === "STOR" && l.stat === "c.v.hits")).toMatchObject({ schema: "counts", value: "4" });
    expect(logs.find((l) => l.msg === "AGRT" && l.stat === "c.all.hits")).toMatchObject({ rule: "c.all.<k> <- c.*.<k>" });
    await store.close();
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  });

  it("cascading aggregates reach each name once per point: foo = 3 × foo.bar.dog", async () => {
    const { db, config } = setup(`AGGREGATES: [["foo", "foo.*"], ["foo", "foo.*.*"], ["foo.<a>", "foo.<a>.*"]],`);
    writeFileSync(config, (await import("node:fs")).readFileSync(config, "utf8").replace('match: "^c\\\\."', 'match: ["^c\\\\.", "^foo"]'));
    const { k, port } = await startKarbon(config);
    const t = NOW - 10;
    const n = 25;
    const lines = ["foo.bar.dog", "foo.bar.cat", "foo.baz.dog"].flatMap((s) => Array.from({ length: n }, () => `${s} 1 ${t}\n`));
    await sendTcp(port, [lines.join("")]);
    const { store, ts } = reader(db);
    await eventually(async () => (await ts.get("foo", "minute", { timestamp: t })) === 3 * n);
    const dog = await ts.get("foo.bar.dog", "minute", { timestamp: t });
    expect(await ts.get("foo", "minute", { timestamp: t })).toBe(3 * dog);
    expect(await ts.get("foo.bar", "minute", { timestamp: t })).toBe(2 * n);
    expect(await ts.get("foo.baz", "minute", { timestamp: t })).toBe(n);
    await store.close();
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  });

  it("bounds connections: past MAX_CONNECTIONS refused and counted, idle ones closed after TCP_IDLE_TIMEOUT with every line stored", async () => {
    const { db, config } = setup("MAX_CONNECTIONS: 3, TCP_IDLE_TIMEOUT: 1,");
    const { k, port, metricsPort } = await startKarbon(config);
    const open = (): Promise<{ s: Socket; closed: Promise<string | undefined> }> =>
      new Promise((resolve) => {
        const s = connect({ host: "127.0.0.1", port });
        let code: string | undefined;
        s.on("error", (e: NodeJS.ErrnoException) => (code = e.code));
        const closed = new Promise<string | undefined>((r) => s.on("close", () => r(code)));
        s.once("connect", () => resolve({ s, closed }));
        s.once("close", () => resolve({ s, closed }));
      });
    const held = [await open(), await open(), await open()];
    await eventually(async () => (await metric(metricsPort, "karbon_connections ")) === 3);
    const refused = await open();
    expect(await refused.closed).toBe("ECONNRESET"); // reset at once: the sender knows
    expect(await metric(metricsPort, 'karbon_connections_refused_total{reason="max_connections"}')).toBe(1);
    // The three open connections keep working: every line they send is stored.
    const t = NOW - 120;
    for (let i = 0; i < 50; i++) for (const [j, h] of held.entries()) h.s.write(`c.conn${j}.n 1 ${t}\n`);
    // Then they fall silent: karbon closes them after a second, and nothing they sent is lost.
    const started = Date.now();
    expect(await Promise.all(held.map((h) => h.closed))).toEqual([undefined, undefined, undefined]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await metric(metricsPort, "karbon_connections_idle_closed_total")).toBe(3);
    const { store, ts } = reader(db);
    try {
      await eventually(async () => (await ts.get("c.all.n", "minute", { timestamp: t })) === 150);
      for (let j = 0; j < 3; j++) expect(await ts.get(`c.conn${j}.n`, "minute", { timestamp: t })).toBe(50);
      expect(await metric(metricsPort, "karbon_connections ")).toBe(0);

      // A web page posting to the Carbon port: closed at the request line, its body never parsed.
      await expect(fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: `c.evil.n 1 ${t}\n` })).rejects.toThrow();
      await eventually(async () => (await metric(metricsPort, 'karbon_bad_lines_total{reason="http_request"}')) === 1);
      await sendTcp(port, `c.after.n 1 ${t}\n`);
      await eventually(async () => (await ts.get("c.all.n", "minute", { timestamp: t })) === 151);
      expect(await ts.get("c.evil.n", "minute", { timestamp: t })).toBeNull();
    } finally {
      await store.close();
    }
    expect(await metric(metricsPort, "karbon_points_received_total")).toBe(151);
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  });

  it("near the open-file limit, refuses connections visibly instead of letting them vanish; open ones store every line", async () => {
    const { db, config } = setup("MAX_CONNECTIONS: 100000, TCP_IDLE_TIMEOUT: 0,");
    // A low `ulimit -n`: at EMFILE libuv would accept and silently close new connections.
    const k = wrap(
      spawn("sh", ["-c", 'ulimit -n 200 && exec "$0" "$@"', process.execPath, "--import", "tsx", join(ROOT, "src", "cli", "karbon-main.ts"), "--tcp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", config], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] }),
    );
    const log = await k.waitForLog("karbon listening");
    const [port, metricsPort] = [log.tcp.port, log.metrics.port];
    expect(k.output()).toMatch(/MAX_CONNECTIONS is more than the open-file limit/);
    const outcomes = await Promise.all(
      Array.from({ length: 300 }, () => {
        const s = connect({ host: "127.0.0.1", port });
        let code: string | undefined;
        s.on("error", (e: NodeJS.ErrnoException) => (code = e.code));
        const closed = new Promise<string>((r) => s.on("close", () => r(code ?? "closed")));
        return Promise.race([closed.then((how) => ({ s, how })), sleep(1500).then(() => ({ s, how: "open" }))]);
      }),
    );
    const open = outcomes.filter((o) => o.how === "open");
    const how = outcomes.map((o) => o.how).filter((h) => h !== "open");
    // Every connection karbon did not keep was reset, none closed quietly.
    expect(new Set(how)).toEqual(new Set(["ECONNRESET"]));
    expect(open.length).toBeGreaterThan(50);
    expect(await metric(metricsPort, 'karbon_connections_refused_total{reason="max_connections"}')).toBe(how.length);
    const t = NOW - 180;
    await Promise.all(open.map((o, i) => new Promise<void>((r) => o.s.end(`c.fd${i % 10}.n 1 ${t}\n`, () => r()))));
    const { store, ts } = reader(db);
    try {
      await eventually(async () => (await ts.get("c.all.n", "minute", { timestamp: t })) === open.length);
    } finally {
      await store.close();
    }
    expect(k.output()).not.toMatch(/flush failed/); // the stores kept room to open their files
    k.kill("SIGTERM");
    expect(await k.exited).toBe(0);
  });

  it.each([
    [["--tcp", "nonsense"], /--tcp: cannot parse "nonsense"/],
    [["--config", "/nonexistent/config.ts"], /no such file/],
    [["--bogus"], /unknown option '--bogus'/],
    [[], /--config: at least one configuration file is required/],
  ])("rejects %j with a one-line error", async (args, message) => {
    const k = spawnCli("karbon-main.ts", args);
    expect(await k.exited).not.toBe(0);
    expect(k.output()).toMatch(message);
    expect(k.output()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("reports a port already in use in one line", async () => {
    const { config } = setup();
    const { port } = await startKarbon(config); // stopped by afterEach
    const second = spawnCli("karbon-main.ts", ["--tcp", `127.0.0.1:${port}`, "--config", config]);
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/karbon: cannot listen on 127\.0\.0\.1:\d+: address already in use/);
  });
});
